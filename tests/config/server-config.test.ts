import { describe, expect, it } from 'vitest';
import { describeServerConfig, parseServerConfig, ServerConfigError } from '../../src/config/server-config.js';
import { parseByteSize, parseSeconds } from '../../src/config/setting-values.js';

describe('parseServerConfig', () => {
  it('has the documented defaults', () => {
    const config = parseServerConfig([], {});
    expect({ ...config }).toEqual({
      host: '0.0.0.0',
      port: 8000,
      model: 'Vchitect/ShotVL-3B',
      servedModelNames: [],
      device: 'auto',
      bodyLimitBytes: 64 * 1024 * 1024,
      maxMediaItemsPerRequest: 32,
      allowedLocalMediaPath: undefined,
      allowPrivateMediaUrls: false,
      mediaFetch: { connectTimeoutMs: 10_000, totalTimeoutMs: 60_000, maxBytes: 64 * 1024 * 1024, maxRedirects: 3 },
      drainGraceMs: 30_000,
      logLevel: 'info',
      corsOrigins: [],
      ui: true,
      requestTimeoutMs: 60_000,
      headersTimeoutMs: 20_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 0,
      maxConcurrentUploads: 16,
      uploadDirectory: undefined,
      publicDocs: false,
      maxFrameListPixels: 768 * 360 * 640,
      engine: {
        dtype: 'auto',
        threads: undefined,
        mediaWorkers: 1,
        limits: {
          maxModelLength: 32_768,
          maxRunningSequences: 8,
          maxTokensPerStep: 2_048,
          prefillChunkTokens: 512,
          maxWaitingSequences: 128,
          maxWaitingTokens: 262_144,
          kvCacheBytes: 4 * 1024 ** 3,
          prefixCacheBytes: 2 * 1024 ** 3,
          visionCacheBytes: 512 * 1024 ** 2,
          defaultMaxTokens: 4_096,
          maxCachedGrammars: 64,
          jsonMaxWhitespace: 16,
          grammarCompileTimeoutMs: 10_000,
          maxPromptBytes: undefined,
          maxChoiceBytes: 64 * 1024,
        },
      },
      shotDetection: { threshold: 27, minShotSeconds: 0.5, maxShots: 999, maxDurationSeconds: 3600 },
    });
    expect(config.apiKey).toBeUndefined();
  });

  it('reads SHOTVL_* variables, and flags win over them', () => {
    const environment = {
      SHOTVL_PORT: '9000',
      SHOTVL_HOST: '127.0.0.1',
      SHOTVL_DEVICE: 'cuda:1',
      SHOTVL_DRAIN_GRACE: '5',
      SHOTVL_ALLOW_PRIVATE_MEDIA_URLS: 'yes',
    };
    const fromEnvironment = parseServerConfig([], environment);
    expect(fromEnvironment).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
      device: 'cuda:1',
      drainGraceMs: 5000,
      allowPrivateMediaUrls: true,
    });
    const withFlags = parseServerConfig(
      ['--port', '9100', '--device=cpu', '--no-allow-private-media-urls', '--model', 'tiny'],
      environment,
    );
    expect(withFlags).toMatchObject({
      port: 9100,
      host: '127.0.0.1',
      device: 'cpu',
      allowPrivateMediaUrls: false,
      model: 'tiny',
    });
  });

  it('turns the web page off with --no-ui or SHOTVL_UI=false', () => {
    expect(parseServerConfig(['--no-ui'], {}).ui).toBe(false);
    expect(parseServerConfig([], { SHOTVL_UI: 'false' }).ui).toBe(false);
    expect(parseServerConfig(['--ui'], { SHOTVL_UI: 'false' }).ui).toBe(true);
  });

  it('parses sizes, durations, lists and paths', () => {
    const config = parseServerConfig(
      [
        '--body-limit',
        '16MiB',
        '--media-max-bytes',
        '500MB',
        '--media-fetch-timeout',
        '2.5',
        '--media-connect-timeout',
        '1s',
        '--cors-origins',
        'https://a.example, https://b.example',
        '--allowed-local-media-path',
        'media/shots',
        '--served-model-name',
        'shotvl',
        '--log-level',
        'DEBUG',
        '--grammar-compile-timeout',
        '0.25',
      ],
      {},
      '/srv/app',
    );
    expect(config).toMatchObject({
      bodyLimitBytes: 16 * 1024 * 1024,
      mediaFetch: { maxBytes: 500_000_000, totalTimeoutMs: 2500, connectTimeoutMs: 1000 },
      corsOrigins: ['https://a.example', 'https://b.example'],
      allowedLocalMediaPath: '/srv/app/media/shots',
      servedModelNames: ['shotvl'],
      logLevel: 'debug',
      engine: { limits: { grammarCompileTimeoutMs: 250 } },
    });
    expect(parseServerConfig([], { SHOTVL_GRAMMAR_COMPILE_TIMEOUT: '3' }).engine.limits.grammarCompileTimeoutMs).toBe(
      3000,
    );
    expect(parseByteSize('64m', 1, 1e12)).toBe(64 * 1024 * 1024);
    expect(parseSeconds('0', 0, 1)).toBe(0);
  });

  it.each([
    [['--port', '70000'], /--port: expected an integer from 0 to 65535/],
    [['--port', 'eighty'], /--port: expected an integer/],
    [['--device', 'tpu'], /--device: expected auto, cpu, cuda or cuda:N/],
    [['--log-level', 'loud'], /--log-level/],
    [['--body-limit', 'lots'], /--body-limit: expected a size/],
    [['--cors-origins', 'https://a.example/path'], /not an origin/],
    [['--media-connect-timeout', '60', '--media-fetch-timeout', '10'], /must not exceed/],
    [['--max-media-items', '-1'], /--max-media-items/],
    [['--grammar-compile-timeout', '0'], /--grammar-compile-timeout/],
    [['--prot', '80'], /unknown flag --prot/],
    [['--port'], /--port needs a value/],
    [['serve'], /unexpected argument 'serve'/],
    [['--allow-private-media-urls=maybe'], /takes true or false/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseServerConfig(argv, {})).toThrow(ServerConfigError);
    expect(() => parseServerConfig(argv, {})).toThrow(message);
  });

  it('names the environment variable in its errors', () => {
    expect(() => parseServerConfig([], { SHOTVL_PORT: 'x' })).toThrow(/^SHOTVL_PORT: /);
  });

  it('treats blank variables as unset', () => {
    expect(parseServerConfig([], { SHOTVL_PORT: '  ', SHOTVL_API_KEY: '' })).toMatchObject({
      port: 8000,
      apiKey: undefined,
    });
  });

  it('is frozen all the way down', () => {
    const config = parseServerConfig([], {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.mediaFetch)).toBe(true);
    expect(Object.isFrozen(config.corsOrigins)).toBe(true);
  });

  it('keeps the API key out of every printable form', () => {
    const config = parseServerConfig(['--api-key', 'sk-secret-value'], { SHOTVL_API_KEY: 'sk-other' });
    expect(config.apiKey).toBe('sk-secret-value');
    expect(JSON.stringify(config)).not.toContain('sk-');
    expect(JSON.stringify({ ...config })).not.toContain('sk-');
    expect(describeServerConfig(config)).toMatchObject({ apiKey: 'set (redacted)' });
    expect(JSON.stringify(describeServerConfig(config))).not.toContain('sk-');
    expect(describeServerConfig(parseServerConfig([], {}))).toMatchObject({ apiKey: 'none' });
  });

  it('reads the slow-client, upload, documentation and text-size knobs (issue 17)', () => {
    const config = parseServerConfig(
      [
        '--request-timeout',
        '1.5',
        '--headers-timeout',
        '0.5',
        '--keep-alive-timeout',
        '2',
        '--max-connections',
        '64',
        '--max-concurrent-uploads',
        '3',
        '--upload-dir',
        'spool',
        '--public-docs',
        '--max-prompt-bytes',
        '1MiB',
        '--max-choice-bytes',
        '4KiB',
      ],
      {},
      '/srv',
    );
    expect(config.requestTimeoutMs).toBe(1500);
    expect(config.headersTimeoutMs).toBe(500);
    expect(config.keepAliveTimeoutMs).toBe(2000);
    expect(config.maxConnections).toBe(64);
    expect(config.maxConcurrentUploads).toBe(3);
    expect(config.uploadDirectory).toBe('/srv/spool');
    expect(config.publicDocs).toBe(true);
    expect(config.engine.limits.maxPromptBytes).toBe(1024 ** 2);
    expect(config.engine.limits.maxChoiceBytes).toBe(4096);
    expect(() => parseServerConfig(['--request-timeout', '5', '--headers-timeout', '10'], {})).toThrow(
      /--headers-timeout must not exceed --request-timeout/,
    );
  });

  it('refuses a step token budget smaller than the decode batch', () => {
    expect(() => parseServerConfig(['--max-num-seqs', '16', '--max-num-batched-tokens', '8'], {})).toThrow(
      /--max-num-batched-tokens must be at least --max-num-seqs/,
    );
    expect(
      parseServerConfig(['--max-num-seqs', '16', '--max-num-batched-tokens', '16'], {}).engine.limits.maxTokensPerStep,
    ).toBe(16);
  });
});
