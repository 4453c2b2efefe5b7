// Progress of a long request, read out politely: upload percentage while the body goes out, then
// the time the server has been working (it sends no progress of its own while it analyses).
import { useEffect, useState } from 'preact/hooks';
import { formatBytes } from '../browser/files.js';

export type WorkStage =
  | { stage: 'preparing' }
  | { stage: 'uploading'; loaded: number; total: number }
  | { stage: 'working'; since: number; what: string };

function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(performance.now()), 100);
    return () => clearInterval(timer);
  }, []);
  return <>{((now - since) / 1000).toFixed(1)} s</>;
}

export function ProgressStatus({ work }: { work: WorkStage }) {
  return (
    <div class="progress" role="status" aria-live="polite">
      {work.stage === 'uploading' ? (
        <>
          <progress aria-label="Upload progress" max={work.total || 1} value={work.loaded} />
          <span>
            Uploading {formatBytes(work.loaded)} of {formatBytes(work.total)}
          </span>
        </>
      ) : (
        <>
          <progress aria-label={work.stage === 'working' ? 'Analysis progress' : 'Preparing'} />
          <span>
            {work.stage === 'working' ? (
              <>
                {work.what}… <Elapsed since={work.since} />
              </>
            ) : (
              'Preparing…'
            )}
          </span>
        </>
      )}
    </div>
  );
}
