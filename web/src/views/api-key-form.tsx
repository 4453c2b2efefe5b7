// Asked once when the server was started with --api-key: the key is checked against GET /v1/models
// and kept in sessionStorage only (gone when the tab closes, never in localStorage or a cookie).
import { useState } from 'preact/hooks';

export function ApiKeyForm({ reason, onKey }: { reason: string | undefined; onKey(key: string): Promise<void> }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>(reason);
  const [checking, setChecking] = useState(false);
  return (
    <form
      class="panel key-form"
      aria-labelledby="api-key-heading"
      onSubmit={async (event) => {
        event.preventDefault();
        setChecking(true);
        setError(undefined);
        try {
          await onKey(key.trim());
        } catch (failure) {
          setError(failure instanceof Error ? failure.message : String(failure));
        } finally {
          setChecking(false);
        }
      }}
    >
      <h2 id="api-key-heading">This server needs an API key</h2>
      <p class="hint">It is kept for this tab only and sent to this server alone.</p>
      <div class="field">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          required
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
        />
      </div>
      <div class="actions">
        <button type="submit" disabled={checking || key.trim() === ''}>
          Use this key
        </button>
      </div>
      {error !== undefined ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
