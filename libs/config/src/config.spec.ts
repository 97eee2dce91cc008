import { ConfigError, loadConfig, publicBaseUrl } from './config';

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      MQTT_PORT: 1883,
      MQTT_WS_PORT: 8083,
      HTTP_PORT: 3000,
      KAFKA_TOPIC_PREFIX: '',
      DATA_DIR: './.data',
      INTERVAL_SECONDS: 1800,
      ALLOWED_LATENESS_SECONDS: 300,
      ALLOW_ANONYMOUS_DISPLAYS: false,
    });
    expect(config.KAFKA_BROKERS).toBeUndefined();
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('splits KAFKA_BROKERS and reads booleans', () => {
    const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092, kafka-2:9093', ALLOW_ANONYMOUS_DISPLAYS: 'true' });
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', 'kafka-2:9093']);
    expect(config.ALLOW_ANONYMOUS_DISPLAYS).toBe(true);
  });

  it.each([
    ['MQTT_PORT', 'abc'],
    ['MQTT_PORT', '70000'],
    ['HTTP_PORT', '0'],
    ['INTERVAL_SECONDS', '7'],
    ['ALLOWED_LATENESS_SECONDS', '-1'],
    ['KAFKA_BROKERS', 'localhost'],
    ['DATABASE_URL', 'mysql://x'],
    ['ALLOW_ANONYMOUS_DISPLAYS', 'yes'],
    ['ADMIN_API_KEY', 'short'],
  ])('stops on %s=%s with one line that names it', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });

  it('refuses a TLS port without certificate and key', () => {
    expect(() => loadConfig({ MQTT_TLS_PORT: '8883' })).toThrow(/MQTT_TLS_PORT.*TLS_CERT/);
  });

  it('refuses a min.insync.replicas no topic could meet', () => {
    expect(() => loadConfig({ KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: '2' })).toThrow(
      /KAFKA_MIN_INSYNC_REPLICAS=2 exceeds KAFKA_REPLICATION_FACTOR=1/,
    );
    expect(loadConfig({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' })).toMatchObject({
      KAFKA_REPLICATION_FACTOR: 3,
      KAFKA_MIN_INSYNC_REPLICAS: 2,
    });
  });

  it('refuses broker workers without the shared state they need, and takes them with it', () => {
    expect(() => loadConfig({ MQTT_WORKERS: '2', DATABASE_URL: 'postgres://db/w', KAFKA_BROKERS: 'k:9092' })).toThrow(
      /MQTT_WORKERS > 1 needs REDIS_URL/,
    );
    expect(() => loadConfig({ MQTT_WORKERS: '0' })).toThrow(/MQTT_WORKERS/);
    expect(
      loadConfig({ MQTT_WORKERS: '2', REDIS_URL: 'redis://r:6379', DATABASE_URL: 'postgres://db/w', KAFKA_BROKERS: 'k:9092' }).MQTT_WORKERS,
    ).toBe(2);
  });
});

describe('the public base URL', () => {
  it('is PUBLIC_BASE_URL when set (a trailing slash dropped), else where the API listens; a query or another scheme stops start-up', () => {
    expect(publicBaseUrl(loadConfig({ PUBLIC_BASE_URL: 'https://wattline.example/' }))).toBe('https://wattline.example');
    expect(publicBaseUrl(loadConfig({ PUBLIC_BASE_URL: 'https://example.org/wattline' }))).toBe('https://example.org/wattline');
    expect(publicBaseUrl(loadConfig({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '3100' }))).toBe('http://127.0.0.1:3100');
    expect(publicBaseUrl(loadConfig({}))).toBe('http://localhost:3000');
    expect(publicBaseUrl(loadConfig({ HTTP_HOST: '::1' }))).toBe('http://[::1]:3000');
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'https://wattline.example/?x=1' })).toThrow(/PUBLIC_BASE_URL/);
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'javascript:alert(1)' })).toThrow(/PUBLIC_BASE_URL/);
  });
});
