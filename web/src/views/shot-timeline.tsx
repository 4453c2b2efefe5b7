// The shots of a segmented clip as a strip, each as wide as it is long, with its thumbnail and
// times; choosing one shows its dimensions. "Whole clip" goes back to the clip's own analysis.
import type { ShotSegment } from '../analysis/analysis-types.js';

function seconds(value: number): string {
  return `${value.toFixed(2)} s`;
}

export function ShotTimeline({
  shots,
  selected,
  onSelect,
}: {
  shots: ShotSegment[];
  selected: number | undefined;
  onSelect(index: number | undefined): void;
}) {
  const total = Math.max(...shots.map((shot) => shot.end), 0.001);
  return (
    <section class="timeline" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Shots ({shots.length})</h2>
      <div class="timeline-strip" role="group" aria-label="Shots of the clip">
        <button
          type="button"
          class="timeline-whole"
          aria-pressed={selected === undefined}
          onClick={() => onSelect(undefined)}
        >
          Whole clip
        </button>
        {shots.map((shot) => (
          <button
            type="button"
            key={shot.index}
            class="timeline-shot"
            style={{ flexGrow: Math.max(shot.end - shot.start, 0.001) / total }}
            aria-pressed={selected === shot.index}
            aria-label={`Shot ${shot.index + 1}: ${seconds(shot.start)} to ${seconds(shot.end)}`}
            data-shot={shot.index}
            onClick={() => onSelect(shot.index)}
          >
            {typeof shot.thumbnail === 'string' && shot.thumbnail !== '' ? <img src={shot.thumbnail} alt="" /> : null}
            <span class="timeline-times">
              {shot.start_timecode ?? seconds(shot.start)}
              {shot.transition_in ? ` · ${shot.transition_in}` : ''}
            </span>
          </button>
        ))}
      </div>
    </section>
  );
}
