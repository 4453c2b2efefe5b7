import { describe, expect, it } from 'vitest';
import { ApiRequestError, envelopeError, errorFromResponseText } from '../../../web/src/api/api-error.js';

describe('API error envelope', () => {
  it("keeps the server's message, code and param", () => {
    const error = errorFromResponseText(
      415,
      JSON.stringify({ error: { message: 'Not a picture.', type: 'invalid_request_error', param: 'file', code: 'x' } }),
    );
    expect(error).toBeInstanceOf(ApiRequestError);
    expect([error.message, error.status, error.code, error.param]).toEqual(['Not a picture.', 415, 'x', 'file']);
  });

  it('says what happened when the body is not an envelope', () => {
    expect(errorFromResponseText(502, '<html>Bad gateway</html>').message).toBe(
      'The server answered 502 without an error message.',
    );
    expect(envelopeError({ choices: [] }, 200)).toBeUndefined();
    expect(envelopeError({ error: { message: 3 } }, 200)).toBeUndefined();
  });
});
