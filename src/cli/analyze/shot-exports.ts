/**
 * `shotvl analyze --segment --export csv,edl,otio`: files editors import, written from the results
 * file (so a resumed or finished run exports everything it holds): for each segmented clip, the
 * shots of its latest complete analysis, as `<clip file name>.shots.<csv|edl|otio>` in the export
 * folder.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { shotsToCsv } from '../../shot/export/csv-export.js';
import { shotsToEdl } from '../../shot/export/edl-export.js';
import type { ExportClip, ExportShot, ExportTransition } from '../../shot/export/export-types.js';
import { shotsToOtioJson } from '../../shot/export/otio-export.js';
import { CliError } from '../cli-error.js';

export const EXPORT_FORMATS = ['csv', 'edl', 'otio'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

interface ShotLine {
  file: string;
  shot: number;
  start_frame: number;
  end_frame: number;
  transition_in: ExportTransition | null;
  analysed_as: 'video' | 'still';
  dimensions: Record<string, { label: string; confidence: number }>;
  prompt_fragment: string;
}

interface ClipLine {
  file: string;
  object: 'shot.segmentation';
  clip: { frame_rate: number; frames: number };
  shots: number;
}

/** The segmented clips of a results file, each with the shots of its last complete analysis. */
export async function segmentedClips(resultsFile: string): Promise<ExportClip[]> {
  const text = await readFile(resultsFile, 'utf8').catch((error: unknown) => {
    throw new CliError(`cannot read ${resultsFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  });
  // Lines may come in any order (a merge of shards sorts them): the latest line of each shot and
  // the latest clip line win, and the clip line says how many shots its analysis has.
  const shotLines = new Map<string, Map<number, ShotLine>>();
  const clipLines = new Map<string, ClipLine>();
  for (const line of text.split('\n')) {
    let record: Partial<ShotLine & ClipLine>;
    try {
      record = JSON.parse(line) as Partial<ShotLine & ClipLine>;
    } catch {
      continue; // blank or an interrupted last line
    }
    if (typeof record.file !== 'string') continue;
    if (typeof record.shot === 'number') {
      const shots = shotLines.get(record.file) ?? new Map<number, ShotLine>();
      shots.set(record.shot, record as ShotLine);
      shotLines.set(record.file, shots);
    } else if (record.object === 'shot.segmentation' && typeof record.shots === 'number' && record.clip !== undefined) {
      clipLines.set(record.file, record as ClipLine);
    }
  }
  const clips = new Map<string, ExportClip>();
  for (const [file, record] of clipLines) {
    const lines = shotLines.get(file) ?? new Map<number, ShotLine>();
    const shots: ExportShot[] = [];
    for (let index = 0; index < record.shots; index++) {
      const shot = lines.get(index);
      if (shot === undefined) throw new CliError(`${resultsFile}: shot ${index} of ${file} is missing`);
      shots.push({
        index,
        startFrame: shot.start_frame,
        endFrame: shot.end_frame,
        transitionIn: shot.transition_in,
        labels: Object.entries(shot.dimensions).map(([dimension, value]) => ({
          dimension,
          label: value.label,
          confidence: value.confidence,
        })),
        promptFragment: shot.prompt_fragment,
        still: shot.analysed_as === 'still',
      });
    }
    clips.set(file, {
      name: basename(file),
      targetUrl: pathToFileURL(resolve(file)).href,
      frameRate: record.clip.frame_rate,
      frameCount: record.clip.frames,
      shots,
    });
  }
  return [...clips.values()];
}

const WRITERS: Record<ExportFormat, (clip: ExportClip) => string> = {
  csv: shotsToCsv,
  edl: (clip) => shotsToEdl(clip),
  otio: shotsToOtioJson,
};

/** Writes every format for every segmented clip; returns the paths written. */
export async function writeShotExports(
  resultsFile: string,
  formats: readonly ExportFormat[],
  folder: string,
): Promise<string[]> {
  const written: string[] = [];
  for (const clip of await segmentedClips(resultsFile)) {
    for (const format of formats) {
      const path = join(folder, `${clip.name}.shots.${format}`);
      let text: string;
      try {
        text = WRITERS[format](clip);
      } catch (error) {
        throw new CliError(`${clip.name}: ${(error as Error).message}`);
      }
      await writeFile(path, text);
      written.push(path);
    }
  }
  return written;
}
