// The page: reads /ui/config.json, asks for the API key when the server wants one, and shows the
// Analyse or Chat view (chosen by the URL hash, so each has a link and the back button works).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiClient, type UiConfig } from './api/api-client.js';
import { AnalyseView } from './views/analyse-view.js';
import { ApiKeyForm } from './views/api-key-form.js';
import { ChatView } from './views/chat-view.js';

const KEY_STORAGE = 'shotvl.apiKey';
type View = 'analyse' | 'chat';

function viewFromHash(): View {
  return location.hash === '#chat' ? 'chat' : 'analyse';
}

function storedKey(): string | undefined {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? undefined;
  } catch {
    return undefined;
  }
}

export function App() {
  const [config, setConfig] = useState<UiConfig | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [apiKey, setApiKey] = useState<string | undefined>(storedKey);
  const [keyProblem, setKeyProblem] = useState<string | undefined>(undefined);
  const [view, setView] = useState<View>(viewFromHash);

  const client = useMemo(
    () =>
      new ApiClient(
        () => storedKey(),
        (error) => {
          sessionStorage.removeItem(KEY_STORAGE);
          setApiKey(undefined);
          setKeyProblem(error.message);
        },
      ),
    [],
  );

  useEffect(() => {
    client
      .config()
      .then(setConfig, (error: unknown) => setLoadError(error instanceof Error ? error.message : String(error)));
    const onHash = () => setView(viewFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, [client]);

  const submitKey = async (key: string) => {
    sessionStorage.setItem(KEY_STORAGE, key);
    try {
      await client.models();
    } catch (error) {
      sessionStorage.removeItem(KEY_STORAGE);
      throw error;
    }
    setKeyProblem(undefined);
    setApiKey(key);
  };

  const needsKey = config?.api_key_required === true && apiKey === undefined;
  return (
    <>
      <header class="top">
        <h1>ShotVL</h1>
        <nav aria-label="Views">
          <a href="#analyse" aria-current={view === 'analyse' ? 'page' : undefined}>
            Analyse
          </a>
          <a href="#chat" aria-current={view === 'chat' ? 'page' : undefined}>
            Chat
          </a>
        </nav>
        {config !== undefined ? <span class="model">{config.model}</span> : null}
      </header>
      <main>
        {loadError !== undefined ? (
          <p class="error" role="alert">
            {loadError}
          </p>
        ) : config === undefined ? (
          <p role="status">Loading…</p>
        ) : needsKey ? (
          <ApiKeyForm reason={keyProblem} onKey={submitKey} />
        ) : (
          // Both stay mounted, so switching views keeps a running chat and a finished analysis.
          <>
            <div hidden={view !== 'analyse'}>
              <AnalyseView client={client} config={config} />
            </div>
            <div hidden={view !== 'chat'}>
              <ChatView client={client} config={config} />
            </div>
          </>
        )}
      </main>
    </>
  );
}
