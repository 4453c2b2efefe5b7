// The shots of a segmented clip as a strip, each as wide as it is long, with its thumbnail, start
// timecode and how it begins; choosing one shows its dimensions.
import type { SegmentedShot } from '../analysis/analysis-types.js';

function seconds(value: number): string {
  return `${value.toFixed(2)} s`;
}

export function ShotTimeline({
  shots,
  selected,
  onSelect,
}: {
  shots: SegmentedShot[];
  selected: number;
  onSelect(index: number): void;
}) {
  const total = Math.max(...shots.map((shot) => shot.end), 0.001);
  return (
    <section class="timeline" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Shots ({shots.length})</h2>
      <div class="timeline-strip" role="group" aria-label="Shots of the clip">
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
              {shot.start_timecode}
              {shot.transition_in !== null ? ` · ${shot.transition_in}` : ''}
              {shot.analysed_as === 'still' ? ' · still' : ''}
            </span>
          </button>
        ))}
      </div>
    </section>
  );
}
