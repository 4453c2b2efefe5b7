// A finished analysis: what was analysed, the prompt fragment and enriched prompt to copy, the
// shots of a segmented clip, a chart per dimension, timings and token counts, and the exports.
import { useState } from 'preact/hooks';
import { orderedDimensions, type ShotAnalysis } from '../analysis/analysis-types.js';
import { toCsv, toJson, toOtio } from '../analysis/export-formats.js';
import { download } from '../browser/files.js';
import { CopyButton } from './copy-button.js';
import { DistributionChart } from './distribution-chart.js';
import { ShotTimeline } from './shot-timeline.js';

export interface AnalysedSource {
  /** A file name or the URL. */
  name: string;
  /** Image or poster frame to show; undefined when the browser could not make one. */
  previewUrl: string | undefined;
}

function baseName(name: string): string {
  const last = name.split(/[/\\]/).pop() ?? 'shot';
  return last.replace(/\.[^.]*$/, '') || 'shot';
}

function PromptText({ id, title, text }: { id: string; title: string; text: string }) {
  return (
    <div class="prompt">
      <h3 id={`${id}-heading`}>{title}</h3>
      <p id={id} class="prompt-text" aria-labelledby={`${id}-heading`}>
        {text === '' ? <em>No label was confident enough (probability of at least 50%).</em> : text}
      </p>
      {text === '' ? null : <CopyButton text={text} label={`Copy ${title.toLowerCase()}`} />}
    </div>
  );
}

function Facts({ analysis }: { analysis: ShotAnalysis }) {
  const { media, usage, timings } = analysis;
  const facts: [string, string][] = [
    ['Kind', media.kind === 'image' ? 'still' : 'clip'],
    ['Size', media.width !== null && media.height !== null ? `${media.width} × ${media.height}` : 'unknown'],
    ...(media.kind === 'video'
      ? ([
          ['Duration', media.duration_seconds === null ? 'unknown' : `${media.duration_seconds.toFixed(2)} s`],
          ['Frames sampled', String(media.frames ?? 'unknown')],
        ] as [string, string][])
      : []),
    ['Vision tokens', String(media.tokens ?? 'unknown')],
    ['Mode', analysis.mode],
    ['Questions', String(usage.requests)],
    ['Prompt tokens', `${usage.prompt_tokens} (${usage.prompt_tokens_details.cached_tokens} cached)`],
    ['Completion tokens', String(usage.completion_tokens)],
    ['Receiving', `${timings.media_ms.toFixed(0)} ms`],
    ['Inference', `${timings.inference_ms.toFixed(0)} ms`],
    ['Total', `${timings.total_ms.toFixed(0)} ms`],
  ];
  return (
    <dl class="facts">
      {facts.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function AnalysisResult({ analysis, source }: { analysis: ShotAnalysis; source: AnalysedSource }) {
  const [selectedShot, setSelectedShot] = useState<number | undefined>(undefined);
  const shots = analysis.shots ?? [];
  const shot = shots.find((candidate) => candidate.index === selectedShot);
  const dimensions = shot?.dimensions ?? analysis.dimensions;
  const fragment = shot?.prompt_fragment ?? analysis.prompt_fragment;
  const name = baseName(source.name);
  return (
    <section class="result" aria-labelledby="result-heading">
      <h2 id="result-heading">Cinematography</h2>
      <div class="result-top">
        {source.previewUrl !== undefined ? (
          <img
            class="preview"
            src={source.previewUrl}
            alt={analysis.media.kind === 'image' ? 'The analysed still' : 'A frame of the analysed clip'}
          />
        ) : null}
        <div class="prompts">
          <PromptText
            id="prompt-fragment"
            title={shot === undefined ? 'Prompt fragment' : `Prompt fragment of shot ${shot.index + 1}`}
            text={fragment}
          />
          {analysis.enriched_prompt !== undefined && shot === undefined ? (
            <PromptText id="enriched-prompt" title="Enriched prompt" text={analysis.enriched_prompt} />
          ) : null}
        </div>
      </div>
      {shots.length > 0 ? <ShotTimeline shots={shots} selected={selectedShot} onSelect={setSelectedShot} /> : null}
      <div class="charts">
        {orderedDimensions(dimensions).map(([key, result]) => (
          <DistributionChart key={key} dimension={key} result={result} />
        ))}
      </div>
      <Facts analysis={analysis} />
      <div class="exports" role="group" aria-label="Export the analysis">
        <button
          type="button"
          class="secondary"
          onClick={() => download(toJson(analysis), `${name}.shotvl.json`, 'application/json')}
        >
          Export JSON
        </button>
        <button
          type="button"
          class="secondary"
          onClick={() => download(toCsv(analysis), `${name}.shotvl.csv`, 'text/csv')}
        >
          Export CSV
        </button>
        <button
          type="button"
          class="secondary"
          onClick={() => download(toOtio(analysis, source.name), `${name}.otio`, 'application/json')}
        >
          Export OTIO
        </button>
      </div>
    </section>
  );
}
