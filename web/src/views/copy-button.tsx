// A button that copies a text to the clipboard and says so for two seconds (also to screen readers
// through the status region), or says why it could not.
import { useEffect, useState } from 'preact/hooks';

type CopyState = 'idle' | 'copied' | 'failed';
const RESET_AFTER_MS = 2000;

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<CopyState>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), RESET_AFTER_MS);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <span class="copy">
      <button type="button" class="secondary" aria-label={label} data-copy-state={state} onClick={copy}>
        {state === 'copied' ? 'Copied' : 'Copy'}
      </button>
      <span role="status" class="copy-status">
        {state === 'failed' ? 'The browser refused the clipboard; select the text instead.' : ''}
      </span>
    </span>
  );
}
