// The error catalogue and the mapping of every error family to status, type and code.
import { describe, expect, it } from 'vitest';
import { MEDIA_ERROR_CODES, MediaError, MediaNotFoundError, MediaTimeoutError } from '../../src/media/media-errors.js';
import { EngineError, type EngineErrorCode } from '../../src/runtime/engine/engine-errors.js';
import { ApiError, ERROR_CATALOGUE, toErrorReply, type ApiErrorCode } from '../../src/server/errors.js';
import { MediaFetchError } from '../../src/server/media-resolver.js';

describe('error catalogue', () => {
  it('gives every code a status, an OpenAI type and a message', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(entry.status, code).toBeGreaterThanOrEqual(400);
      expect(entry.type, code).toBe(
        entry.status >= 500 ? 'server_error' : entry.status === 401 ? 'authentication_error' : 'invalid_request_error',
      );
      expect(entry.message.length, code).toBeGreaterThan(5);
    }
  });

  it.each([
    ['overloaded', 503, '1'],
    ['draining', 503, '5'],
    ['not_ready', 503, '5'],
    ['context_length_exceeded', 400, undefined],
    ['kv_budget_exceeded', 400, undefined],
    ['invalid_request', 400, undefined],
    ['media_invalid', 422, undefined],
    ['engine_failed', 503, '10'],
    ['grammar_unavailable', 503, '10'],
  ] as [EngineErrorCode, number, string | undefined][])('maps EngineError %s to %i', (code, status, retryAfter) => {
    const reply = toErrorReply(new EngineError(code, 'Written for users.'), 'r1');
    expect(reply.status).toBe(status);
    expect(reply.body.error.code).toBe(code);
    expect(reply.headers['retry-after']).toBe(retryAfter);
  });

  it('uses the engine Retry-After and its param', () => {
    const overloaded = toErrorReply(new EngineError('overloaded', 'Busy.', { retryAfterSeconds: 7.2 }), 'r1');
    expect(overloaded.headers['retry-after']).toBe('8');
    const invalid = toErrorReply(
      new EngineError('invalid_request', 'Token id 999999 is outside the vocabulary.', { param: 'logit_bias' }),
      'r1',
    );
    expect(invalid.body.error).toEqual({
      message: 'Token id 999999 is outside the vocabulary.',
      type: 'invalid_request_error',
      param: 'logit_bias',
      code: 'invalid_request',
    });
  });

  it('puts Retry-After on every 503 of the catalogue', () => {
    const unavailable = Object.entries(ERROR_CATALOGUE).filter(([, entry]) => entry.status === 503);
    expect(unavailable.length).toBeGreaterThanOrEqual(5);
    for (const [code] of unavailable) {
      const reply = toErrorReply(new ApiError(code as ApiErrorCode), 'r1');
      expect(Number(reply.headers['retry-after']), code).toBeGreaterThanOrEqual(1);
    }
  });

  it('says when to retry a grammar worker restart, without its text', () => {
    const reply = toErrorReply(
      new EngineError('grammar_unavailable', 'worker exited: /build/xgrammar.cc:7', {
        retryAfterSeconds: 3,
        param: 'response_format',
      }),
      'req-3',
    );
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('3');
    expect(reply.body.error).toEqual({
      message:
        'Structured output is briefly unavailable: the grammar engine is restarting (request id req-3); retry after 3 seconds.',
      type: 'server_error',
      param: 'response_format',
      code: 'grammar_unavailable',
    });
  });

  it('never shows the text of an engine failure', () => {
    const reply = toErrorReply(new EngineError('engine_failed', 'worker crashed: /home/build/ort.cc:42'), 'req-9');
    expect(reply.body.error.message).toBe('The inference engine has failed (request id req-9).');
  });

  it('maps every MediaError code (media timeouts are 422, not 408)', () => {
    const statuses = Object.fromEntries(
      MEDIA_ERROR_CODES.map((code) => [code, toErrorReply(new MediaError(code, 'm'), 'r').status]),
    );
    expect(statuses).toEqual({
      unsupported_format: 415,
      corrupt_media: 422,
      unsupported_aspect_ratio: 422,
      invalid_media_options: 400,
      media_too_large: 413,
      media_timeout: 422,
      media_aborted: 499,
      ffmpeg_unavailable: 503,
      media_not_found: 422,
    });
    expect(toErrorReply(new MediaTimeoutError('Decoding took longer than 30 s.'), 'r').body.error.message).toBe(
      'Decoding took longer than 30 s.',
    );
  });

  it('answers a media file that is not there as a missing file: URL is answered, 422 media_fetch_failed', () => {
    const reply = toErrorReply(new MediaNotFoundError('The media file does not exist.'), 'r');
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual({
      error: {
        message: 'The media file does not exist.',
        type: 'invalid_request_error',
        param: null,
        code: 'media_fetch_failed',
      },
    });
  });

  it.each([
    ['invalid_media_url', 400],
    ['media_url_not_allowed', 400],
    ['media_fetch_failed', 422],
    ['media_fetch_timeout', 422],
    ['media_too_large', 413],
  ] as const)('maps MediaFetchError %s to %i', (code, status) => {
    expect(toErrorReply(new MediaFetchError(code, 'why'), 'r').status).toBe(status);
  });

  it('scrubs anything unknown into a 500 that names the request id', () => {
    for (const thrown of [
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      'a string',
      null,
      { code: 'ECONNRESET' },
    ]) {
      const reply = toErrorReply(thrown, 'abc');
      expect(reply).toEqual({
        status: 500,
        headers: {},
        body: {
          error: {
            message: 'internal error (request id abc)',
            type: 'server_error',
            param: null,
            code: 'internal_error',
          },
        },
      });
    }
  });

  it('does not fill templates inside messages written by the thrower', () => {
    const reply = toErrorReply(
      new ApiError('model_not_found', { message: "The model '{requestId}' does not exist." }),
      'r',
    );
    expect(reply.body.error.message).toBe("The model '{requestId}' does not exist.");
  });

  it("maps Fastify's own client errors without their text", () => {
    const limit = toErrorReply(
      { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413, message: 'Request body is too large' },
      'r',
      1024,
    );
    expect(limit.body.error).toMatchObject({
      code: 'body_too_large',
      message: 'The request body is larger than this server accepts (1024 bytes).',
    });
    const other = toErrorReply(
      { code: 'FST_ERR_BAD_URL', statusCode: 400, message: "'/%' is not a valid url component" },
      'r',
    );
    expect(other).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request', message: 'The request could not be processed (FST_ERR_BAD_URL).' } },
    });
  });
});
