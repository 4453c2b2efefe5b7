// One dimension as a horizontal bar chart of its whole label distribution, most likely first; the
// chosen label is highlighted and named in the heading with its confidence.
import { dimensionTitle, rankedLabels, type DimensionResult } from '../analysis/analysis-types.js';

export function percent(probability: number): string {
  return `${(probability * 100).toFixed(1)}%`;
}

export function DistributionChart({ dimension, result }: { dimension: string; result: DimensionResult }) {
  const headingId = `chart-${dimension}`;
  return (
    <section class="chart" aria-labelledby={headingId} data-dimension={dimension}>
      <h3 id={headingId}>{dimensionTitle(dimension)}</h3>
      <p class="chosen-label">
        <strong>{result.label}</strong> <span class="confidence">{percent(result.confidence)}</span>
      </p>
      <ul class="bars">
        {rankedLabels(result).map(([label, probability]) => {
          const chosen = label === result.label;
          return (
            <li
              key={label}
              class={chosen ? 'bar chosen' : 'bar'}
              data-label={label}
              data-probability={probability}
              aria-current={chosen ? 'true' : undefined}
            >
              <span class="bar-label">{label}</span>
              <span class="bar-track" aria-hidden="true">
                <span class="bar-fill" style={{ width: `${probability * 100}%` }} />
              </span>
              <span class="bar-value">{percent(probability)}</span>
            </li>
          );
        })}
      </ul>
      {result.reasoning !== undefined && result.reasoning !== '' ? (
        <details class="reasoning">
          <summary>Reasoning</summary>
          <p>{result.reasoning}</p>
        </details>
      ) : null}
    </section>
  );
}
