// The Analyse view: pick a shot, choose the options, send it to POST /analyze-shot (a multipart
// upload with progress, or JSON with the URL), then show the result or the server's error.
import { useEffect, useRef, useState } from 'preact/hooks';
import { DIMENSIONS, dimensionsFor, type AnalysisResponse } from '../analysis/analysis-types.js';
import { isAbort, type ApiClient, type UiConfig } from '../api/api-client.js';
import { fileKind, formatBytes, urlKind, type MediaKind } from '../browser/files.js';
import { posterFrame } from '../browser/poster-frame.js';
import { AnalysisResult, type AnalysedSource } from './analysis-result.js';
import { ProgressStatus, type WorkStage } from './progress-status.js';
import { ShotSourcePicker } from './shot-source-picker.js';

type Picked = { file: File; kind: MediaKind | undefined; previewUrl: string | undefined } | undefined;

type Outcome =
  | { state: 'idle' }
  | { state: 'busy'; work: WorkStage }
  | { state: 'done'; analysis: AnalysisResponse; source: AnalysedSource }
  | { state: 'failed'; message: string };

export function AnalyseView({ client, config }: { client: ApiClient; config: UiConfig }) {
  const [picked, setPicked] = useState<Picked>(undefined);
  const [url, setUrl] = useState('');
  const [urlMediaKind, setUrlMediaKind] = useState<MediaKind>('image');
  const [prompt, setPrompt] = useState('');
  const [mode, setMode] = useState<'fast' | 'reasoning'>('fast');
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(DIMENSIONS.map((dimension) => dimension.key)));
  const [segment, setSegment] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' });
  const controller = useRef<AbortController | undefined>(undefined);
  const objectUrl = useRef<string | undefined>(undefined);

  useEffect(() => () => controller.current?.abort(), []);

  const kind: MediaKind | undefined = picked !== undefined ? picked.kind : url !== '' ? urlMediaKind : undefined;
  const busy = outcome.state === 'busy';

  const pickFile = async (file: File) => {
    if (objectUrl.current !== undefined) URL.revokeObjectURL(objectUrl.current);
    objectUrl.current = undefined;
    setUrl('');
    // A new shot: the previous result no longer describes what the form shows.
    if (!busy) setOutcome({ state: 'idle' });
    const detected = fileKind(file);
    let previewUrl: string | undefined;
    if (detected === 'image') previewUrl = objectUrl.current = URL.createObjectURL(file);
    setPicked({ file, kind: detected, previewUrl });
    if (detected === 'video') {
      const poster = await posterFrame(file).catch(() => undefined);
      setPicked((current) => (current?.file === file ? { ...current, previewUrl: poster?.url } : current));
    }
  };

  const pickUrl = (value: string) => {
    setPicked(undefined);
    if (!busy) setOutcome({ state: 'idle' });
    setUrl(value.trim());
    if (value.trim() !== '') setUrlMediaKind(urlKind(value.trim()));
  };

  const toggle = (key: string, on: boolean) =>
    setChosen((current) => {
      const next = new Set(current);
      if (on) next.add(key);
      else next.delete(key);
      return next;
    });

  const options = (): Record<string, string | string[]> => {
    const applicable = dimensionsFor(kind ?? 'video');
    const asked = applicable.filter((key) => chosen.has(key));
    return {
      mode,
      ...(prompt.trim() === '' ? {} : { prompt: prompt.trim() }),
      // All that apply is the server's default; a subset is sent by name.
      ...(asked.length === applicable.length ? {} : { dimensions: asked }),
      ...(segment && kind === 'video' && config.shot_segmentation ? { segment: 'auto', thumbnails: 'true' } : {}),
    };
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (picked === undefined && url === '') {
      setOutcome({ state: 'failed', message: 'Choose a still or a clip, or paste a URL, first.' });
      return;
    }
    if (picked !== undefined && picked.file.size > config.max_upload_bytes) {
      setOutcome({
        state: 'failed',
        message: `The file is ${formatBytes(picked.file.size)}; this server accepts at most ${formatBytes(config.max_upload_bytes)}.`,
      });
      return;
    }
    const chosenOptions = options();
    if (Array.isArray(chosenOptions.dimensions) && chosenOptions.dimensions.length === 0) {
      setOutcome({ state: 'failed', message: 'Choose at least one dimension.' });
      return;
    }
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    const questions = Array.isArray(chosenOptions.dimensions)
      ? chosenOptions.dimensions.length
      : dimensionsFor(kind ?? 'image').length;
    const working = (): WorkStage => ({
      stage: 'working',
      since: performance.now(),
      what: `Analysing (${mode} mode, ${questions} dimensions${kind === undefined ? ' or more' : ''})`,
    });
    try {
      let analysis: AnalysisResponse;
      let source: AnalysedSource;
      if (picked !== undefined) {
        const form = new FormData();
        for (const [name, value] of Object.entries(chosenOptions))
          form.append(name, Array.isArray(value) ? value.join(',') : value);
        // The file last: the server reads the options before the bytes.
        form.append('file', picked.file, picked.file.name);
        setOutcome({ state: 'busy', work: { stage: 'uploading', loaded: 0, total: picked.file.size } });
        analysis = await client.analyzeUpload(
          form,
          {
            onUploadProgress: (loaded, total) =>
              setOutcome({ state: 'busy', work: { stage: 'uploading', loaded, total } }),
            onUploaded: () => setOutcome({ state: 'busy', work: working() }),
          },
          abort.signal,
        );
        source = { name: picked.file.name, previewUrl: picked.previewUrl };
      } else {
        setOutcome({ state: 'busy', work: working() });
        const media = urlMediaKind === 'image' ? { image_url: url } : { video_url: url };
        const { thumbnails, ...rest } = chosenOptions;
        const body = { ...media, ...rest, ...(thumbnails === undefined ? {} : { thumbnails: true }) };
        analysis = await client.analyzeJson(body, abort.signal);
        source = { name: url, previewUrl: urlMediaKind === 'image' ? url : undefined };
      }
      if (!abort.signal.aborted) setOutcome({ state: 'done', analysis, source });
    } catch (error) {
      if (isAbort(error)) {
        setOutcome({ state: 'idle' });
        return;
      }
      setOutcome({ state: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  };

  return (
    <div class="analyse">
      <form class="panel shot-form" onSubmit={submit} aria-label="Analyse a shot">
        <ShotSourcePicker
          fileName={picked?.file.name}
          url={url}
          onFile={(file) => void pickFile(file)}
          onUrl={pickUrl}
          disabled={busy}
        />
        {url !== '' ? (
          <fieldset class="inline">
            <legend>The URL is a</legend>
            {(['image', 'video'] as const).map((value) => (
              <label key={value}>
                <input
                  type="radio"
                  name="url-kind"
                  checked={urlMediaKind === value}
                  onChange={() => setUrlMediaKind(value)}
                />
                {value === 'image' ? 'still' : 'clip'}
              </label>
            ))}
          </fieldset>
        ) : null}
        {picked?.previewUrl !== undefined ? (
          <img class="preview" src={picked.previewUrl} alt="The chosen shot" />
        ) : null}
        <div class="field">
          <label for="shot-prompt">Text-to-video prompt to enrich (optional)</label>
          <textarea
            id="shot-prompt"
            rows={2}
            maxLength={8000}
            value={prompt}
            onInput={(event) => setPrompt(event.currentTarget.value)}
          />
        </div>
        <fieldset class="inline">
          <legend>Mode</legend>
          <label>
            <input type="radio" name="mode" checked={mode === 'fast'} onChange={() => setMode('fast')} />
            fast (probabilities of every label)
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === 'reasoning'} onChange={() => setMode('reasoning')} />
            reasoning (the model explains)
          </label>
        </fieldset>
        <fieldset class="dimensions">
          <legend>Dimensions</legend>
          {DIMENSIONS.map((dimension) => (
            <label key={dimension.key}>
              <input
                type="checkbox"
                name="dimension"
                value={dimension.key}
                checked={chosen.has(dimension.key)}
                disabled={dimension.videoOnly && kind === 'image'}
                onChange={(event) => toggle(dimension.key, event.currentTarget.checked)}
              />
              {dimension.title}
              {dimension.videoOnly ? <span class="hint"> (clips only)</span> : null}
            </label>
          ))}
        </fieldset>
        {config.shot_segmentation ? (
          <label class="check">
            <input
              type="checkbox"
              checked={segment}
              disabled={kind === 'image'}
              onChange={(event) => setSegment(event.currentTarget.checked)}
            />
            Split a clip into shots
          </label>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Analyse
          </button>
          {busy ? (
            <button type="button" class="secondary" onClick={() => controller.current?.abort()}>
              Cancel
            </button>
          ) : null}
        </div>
        {outcome.state === 'busy' ? <ProgressStatus work={outcome.work} /> : null}
        {outcome.state === 'failed' ? (
          <p class="error" role="alert">
            {outcome.message}
          </p>
        ) : null}
      </form>
      {outcome.state === 'done' ? (
        <AnalysisResult key={outcome.analysis.id} analysis={outcome.analysis} source={outcome.source} />
      ) : null}
    </div>
  );
}
