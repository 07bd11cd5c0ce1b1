/**
 * A connection to the run's redis-server through ioredis, failing fast: a bad URL, a refused
 * connection or a server that does not answer becomes one RedisUnavailable error naming the URL
 * (the CLI prints it and exits 2), never an endless reconnect loop.
 */
import { Redis } from 'ioredis';

export class RedisUnavailable extends Error {}

/** Redis URLs only: redis://[user:pass@]host[:port][/db] (rediss:// for TLS). */
function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisUnavailable(`--redis ${url}: not a URL (expected redis://HOST:PORT)`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new RedisUnavailable(
      `--redis ${url}: the scheme must be redis:// or rediss://, got ${parsed.protocol}//`,
    );
  if (parsed.hostname === '') throw new RedisUnavailable(`--redis ${url}: no host`);
}

export async function connectRedis(url: string): Promise<Redis> {
  checkUrl(url);
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: Error | null = null;
  redis.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    const reason = (lastError ?? (error as Error)).message;
    throw new RedisUnavailable(`--redis ${url}: cannot reach redis-server (${reason})`);
  }
  return redis;
}
