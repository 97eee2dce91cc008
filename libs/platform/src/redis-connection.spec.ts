import { redisClusterTarget } from './redis-connection';

describe('REDIS_URL naming a Redis Cluster', () => {
  it('reads the seeds of a redis-cluster:// URL, with credentials when given', () => {
    expect(redisClusterTarget('redis-cluster://10.0.0.1:7000,10.0.0.2:7001,redis-3')).toEqual({
      seeds: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'redis-3', port: 6379 },
      ],
    });
    expect(redisClusterTarget('redis-cluster://wattline:s%40cret@a:7000,b:7000')).toEqual({
      seeds: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7000 },
      ],
      username: 'wattline',
      password: 's@cret',
    });
  });

  it('leaves a single Redis to ioredis, and refuses a seed that is not host:port', () => {
    expect(redisClusterTarget('redis://127.0.0.1:6379/2')).toBeNull();
    expect(redisClusterTarget('rediss://cache.example:6380')).toBeNull();
    expect(() => redisClusterTarget('redis-cluster://a:notaport')).toThrow('REDIS_URL: a:notaport is not host:port');
    expect(() => redisClusterTarget('redis-cluster://')).toThrow('names at least one host:port');
  });
});
