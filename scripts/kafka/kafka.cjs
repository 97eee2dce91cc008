#!/usr/bin/env node
'use strict';
// Runs a real Apache Kafka broker (KRaft mode) without Docker: one node, or a cluster of three.
// Maven resolves the broker jars from Maven Central into .cache/kafka/<version>/libs (ignored);
// the storage dir is formatted once and `kafka.Kafka` is started on the given port.
//
//   node scripts/kafka/kafka.cjs fetch
//   node scripts/kafka/kafka.cjs start --port 19092 [--dir .data/kafka-19092]   (foreground)
//
// Tests import { startKafka } and get { brokers, stop }, or { startKafkaCluster } and get
// { brokers, nodes, node(id), stop } (three nodes, replication factor 3, min.insync.replicas 2).
// CommonJS so that node, Jest workers and the benchmarks can all require it.
const { spawn, spawnSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const { existsSync, mkdirSync, readdirSync, writeFileSync, rmSync, openSync } = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const here = __dirname;
const repoRoot = path.resolve(here, '..', '..');
const KAFKA_VERSION = '3.9.1';
const libsDir = path.join(repoRoot, '.cache', 'kafka', KAFKA_VERSION, 'libs');

/** Resolves the broker jars with Maven once; later calls find them cached. */
function fetchKafka({ log = console.error } = {}) {
  const marker = path.join(libsDir, '.complete');
  if (existsSync(marker)) return libsDir;
  log(`[kafka] resolving Apache Kafka ${KAFKA_VERSION} jars from Maven Central (first run only)…`);
  mkdirSync(libsDir, { recursive: true });
  const result = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      path.join(here, 'pom.xml'),
      `-Dkafka.version=${KAFKA_VERSION}`,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${libsDir}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0) throw new Error(`[kafka] mvn failed with exit code ${result.status}`);
  if (!readdirSync(libsDir).some((f) => f.startsWith('kafka_2.13-'))) {
    throw new Error('[kafka] mvn finished but the kafka_2.13 jar is missing');
  }
  writeFileSync(marker, new Date().toISOString());
  return libsDir;
}

// A free port below Linux's ephemeral range (32768–60999), where no outgoing connection can
// take it between this check and the broker's listen.
function listenOn(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address();
      server.close(() => resolve(bound));
    });
  });
}

async function freePort() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (
      await listenOn(port).then(
        () => true,
        () => false,
      )
    )
      return port;
  }
  return listenOn(0);
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function java(args, opts) {
  return spawn('java', ['-Xms256m', '-Xmx768m', '-cp', `${libsDir}/*`, ...args], opts);
}

/** The broker settings every node shares; `replicas` sets the internal topics' and the defaults' replication. */
function serverProperties({ nodeId, port, controllerPort, voters, dir, replicas }) {
  return [
    'process.roles=broker,controller',
    `node.id=${nodeId}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${path.join(dir, 'data')}`,
    'num.partitions=3',
    'auto.create.topics.enable=false',
    `offsets.topic.replication.factor=${replicas}`,
    'offsets.topic.num.partitions=3',
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${Math.min(2, replicas)}`,
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${Math.min(2, replicas)}`,
    // Tests create many short-lived consumer groups; do not wait 3 s for each to settle.
    'group.initial.rebalance.delay.ms=0',
    // The log cleaner looks for work every second (15 s by default), so a test of compaction
    // on a topic with a small segment.ms sees it run within seconds.
    'log.cleaner.backoff.ms=1000',
    // A node killed in a fault test is fenced within seconds, not after the 9 s default, so
    // its partitions get new leaders while the test is still producing.
    ...(replicas > 1 ? ['broker.session.timeout.ms=4000', 'broker.heartbeat.interval.ms=1000'] : []),
    '',
  ].join('\n');
}

/**
 * Formats one node's storage under `dir` (with the cluster's id) and returns a handle that
 * starts it, and starts it again on the same storage and ports after a kill.
 */
function kafkaNode({ nodeId, port, controllerPort, voters, clusterId, dir, replicas, log, timeoutMs }) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const props = path.join(dir, 'server.properties');
  writeFileSync(props, serverProperties({ nodeId, port, controllerPort, voters, dir, replicas }));
  writeFileSync(
    path.join(dir, 'log4j.properties'),
    [
      'log4j.rootLogger=WARN, file',
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${path.join(dir, 'logs', 'server.log')}`,
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka=INFO',
      '',
    ].join('\n'),
  );
  const log4j = `-Dlog4j.configuration=file:${path.join(dir, 'log4j.properties')}`;
  const format = spawnSync(
    'java',
    ['-Xmx256m', log4j, '-cp', `${libsDir}/*`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props],
    {
      encoding: 'utf8',
    },
  );
  if (format.status !== 0) throw new Error(`[kafka] storage format failed: ${format.stderr || format.stdout}`);

  const out = openSync(path.join(dir, 'logs', 'stdout.log'), 'a');
  let child;
  let exited = false;
  const launch = async () => {
    child = java([log4j, 'kafka.Kafka', props], { stdio: ['ignore', out, out], detached: false });
    exited = false;
    const self = child;
    self.once('exit', () => {
      if (child === self) exited = true;
    });
    const deadline = Date.now() + timeoutMs;
    while (!(await canConnect(port))) {
      if (exited) throw new Error(`[kafka] broker ${nodeId} exited during start-up; see ${path.join(dir, 'logs')}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`[kafka] broker ${nodeId} did not listen on ${port} within ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    log(`[kafka] broker ${KAFKA_VERSION} node ${nodeId} listening on 127.0.0.1:${port} (pid ${child.pid}, dir ${dir})`);
  };
  const end = (signal) =>
    new Promise((resolve) => {
      if (exited) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
      if (signal !== 'SIGKILL') setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  return {
    nodeId,
    port,
    broker: `127.0.0.1:${port}`,
    dir,
    get pid() {
      return child.pid;
    },
    get alive() {
      return child !== undefined && !exited;
    },
    start: launch,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    /** SIGSTOP / SIGCONT: a stalled node, not a dead one. */
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    restart: launch,
  };
}

const newClusterId = () => randomUUID().replace(/-/g, '').slice(0, 22);

/**
 * Formats a fresh KRaft storage dir under `dir` and starts a broker on `port`.
 * Resolves once the broker accepts connections and answers metadata requests.
 */
async function startKafka({ port, dir, log = console.error, timeoutMs = 90_000 } = {}) {
  fetchKafka({ log });
  port = port ?? (await freePort());
  const controllerPort = await freePort();
  dir = path.resolve(dir ?? path.join(repoRoot, '.data', `kafka-${port}`));
  const voters = `1@127.0.0.1:${controllerPort}`;
  const node = kafkaNode({ nodeId: 1, port, controllerPort, voters, clusterId: newClusterId(), dir, replicas: 1, log, timeoutMs });
  await node.start();
  return {
    port,
    brokers: [node.broker],
    get pid() {
      return node.pid;
    },
    dir,
    stop: node.stop,
    kill: node.kill,
    restart: node.restart,
  };
}

/**
 * A KRaft cluster of `size` nodes, each broker and controller (combined roles: the controller
 * quorum is every node, so it keeps a majority with one node down), its topics' defaults
 * replication factor `size` (at most 3) and min.insync.replicas 2. Resolves once every node
 * listens; `nodes` are the handles to kill, stall and restart one.
 */
async function startKafkaCluster({ size = 3, dir, log = console.error, timeoutMs = 120_000 } = {}) {
  fetchKafka({ log });
  dir = path.resolve(dir ?? path.join(repoRoot, '.data', `kafka-cluster-${process.pid}`));
  const ports = [];
  for (let i = 0; i < size; i++) ports.push({ port: await freePort(), controllerPort: await freePort() });
  const voters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controllerPort}`).join(',');
  const clusterId = newClusterId();
  const replicas = Math.min(3, size);
  const nodes = ports.map((p, i) =>
    kafkaNode({ nodeId: i + 1, ...p, voters, clusterId, dir: path.join(dir, `node-${i + 1}`), replicas, log, timeoutMs }),
  );
  // Together: a node's start-up waits for the quorum, which needs a majority of them running.
  await Promise.all(nodes.map((n) => n.start()));
  return {
    brokers: nodes.map((n) => n.broker),
    nodes,
    dir,
    /** The node with this id (as Kafka's metadata names partition leaders). */
    node: (nodeId) => nodes.find((n) => n.nodeId === nodeId),
    stop: () => Promise.all(nodes.map((n) => n.stop())).then(() => undefined),
  };
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const arg = (name) => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  if (command === 'fetch') {
    console.log(fetchKafka());
    return;
  }
  if (command === 'start') {
    const port = arg('port') ? Number(arg('port')) : 9092;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      console.error(`--port must be a TCP port, got ${arg('port')}`);
      process.exit(2);
    }
    const kafka = await startKafka({ port, dir: arg('dir') });
    console.log(`KAFKA_BROKERS=${kafka.brokers.join(',')}`);
    const shutdown = async () => {
      await kafka.stop();
      process.exit(0);
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
    return;
  }
  console.error('usage: kafka.cjs fetch | start --port <port> [--dir <dir>]');
  process.exit(2);
}

module.exports = { KAFKA_VERSION, fetchKafka, startKafka, startKafkaCluster };

if (require.main === module) {
  main().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
