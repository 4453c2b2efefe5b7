// A finished analysis: what was analysed, the prompt fragment and enriched prompt to copy, the
// shots of a segmented clip (choosing one shows its analysis), a chart per dimension, timings and
// token counts, and the exports.
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  isSegmentation,
  orderedDimensions,
  type AnalysisResponse,
  type AnalysisTimings,
  type AnalysisUsage,
  type MediaSummary,
} from '../analysis/analysis-types.js';
import { EXPORT_FORMATS } from '../analysis/export-formats.js';
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

function Facts({
  mode,
  media,
  usage,
  timings,
  shots,
}: {
  mode: string;
  media: MediaSummary;
  usage: AnalysisUsage;
  timings: AnalysisTimings;
  shots: number | undefined;
}) {
  const facts: [string, string][] = [
    ['Kind', media.kind === 'image' ? 'still' : 'clip'],
    ['Size', media.width !== null && media.height !== null ? `${media.width} × ${media.height}` : 'unknown'],
    ...(media.kind === 'video'
      ? ([
          ['Duration', media.duration_seconds === null ? 'unknown' : `${media.duration_seconds.toFixed(2)} s`],
          ['Frames sampled', String(media.frames ?? 'unknown')],
        ] as [string, string][])
      : []),
    ...(shots === undefined ? [] : ([['Shots', String(shots)]] as [string, string][])),
    ['Vision tokens', String(media.tokens ?? 'unknown')],
    ['Mode', mode],
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

export function AnalysisResult({ analysis, source }: { analysis: AnalysisResponse; source: AnalysedSource }) {
  const heading = useRef<HTMLHeadingElement>(null);
  // Keyboard and screen-reader users land on the result (on a phone it is below the form).
  useEffect(() => heading.current?.focus(), []);
  const segmented = isSegmentation(analysis) ? analysis : undefined;
  const [selectedShot, setSelectedShot] = useState(segmented?.shots[0]?.index ?? 0);
  const shot = segmented?.shots.find((candidate) => candidate.index === selectedShot);
  // A segmentation's facts: the chosen shot's media, the whole clip's usage and timings.
  const view = isSegmentation(analysis)
    ? {
        media: shot?.media,
        dimensions: shot?.dimensions ?? {},
        fragment: shot?.prompt_fragment ?? '',
        enriched: undefined,
        preview: shot?.thumbnail ?? source.previewUrl,
      }
    : {
        media: analysis.media,
        dimensions: analysis.dimensions,
        fragment: analysis.prompt_fragment,
        enriched: analysis.enriched_prompt,
        preview: source.previewUrl,
      };
  const name = baseName(source.name);
  const kind = view.media?.kind ?? 'video';
  return (
    <section class="result" aria-labelledby="result-heading">
      <h2 id="result-heading" tabIndex={-1} ref={heading}>
        Cinematography
      </h2>
      {segmented !== undefined ? (
        <ShotTimeline shots={segmented.shots} selected={selectedShot} onSelect={setSelectedShot} />
      ) : null}
      <div class="result-top">
        {view.preview !== undefined ? (
          <img
            class="preview"
            src={view.preview}
            alt={kind === 'image' ? 'The analysed still' : 'A frame of the analysed clip'}
          />
        ) : null}
        <div class="prompts">
          <PromptText
            id="prompt-fragment"
            title={shot === undefined ? 'Prompt fragment' : `Prompt fragment of shot ${shot.index + 1}`}
            text={view.fragment}
          />
          {view.enriched !== undefined ? (
            <PromptText id="enriched-prompt" title="Enriched prompt" text={view.enriched} />
          ) : null}
        </div>
      </div>
      <div class="charts">
        {orderedDimensions(view.dimensions).map(([key, result]) => (
          <DistributionChart key={key} dimension={key} result={result} />
        ))}
      </div>
      {view.media !== undefined ? (
        <Facts
          mode={analysis.mode}
          media={view.media}
          usage={analysis.usage}
          timings={analysis.timings}
          shots={segmented?.shots.length}
        />
      ) : null}
      <div class="exports" role="group" aria-label="Export the analysis">
        {EXPORT_FORMATS.map((format) => (
          <button
            key={format.label}
            type="button"
            class="secondary"
            onClick={() => download(format.render(analysis, source.name), `${name}.${format.extension}`, format.type)}
          >
            Export {format.label}
          </button>
        ))}
      </div>
    </section>
  );
}
