// `shotvl analyze --model` and POST /analyze-shot map the service's results through one mapper
// (src/analysis/analysis-json.ts) inside their own envelopes; the results file's documented format is
// the /analyze-shot JSON without id, object and created, byte for byte once serialised.
import { describe, expect, it } from 'vitest';
import type { SegmentedAnalysis, SegmentedShot, ShotAnalysis } from '../../../src/analysis/analysis-results.js';
import { segmentedShotJson } from '../../../src/analysis/analysis-json.js';
import { segmentationRecord, shotAnalysisRecord } from '../../../src/cli/analyze/analysis-records.js';
import {
  analyzeShotResponse,
  segmentationResponse,
} from '../../../src/server/routes/analyze-shot/analysis-response.js';

const usage = { requests: 3, promptTokens: 300, completionTokens: 12, totalTokens: 312, cachedTokens: 128 };

const reasoningAnalysis: ShotAnalysis = {
  mode: 'reasoning',
  media: { kind: 'video', width: 64, height: 48, frames: 8, durationSeconds: 1, tokens: 560 },
  dimensions: {
    'shot size': {
      label: 'Close Up',
      confidence: 0.75,
      distribution: { 'Close Up': 0.75, Wide: 0.25 },
      letter: 'A',
      reasoning: {
        text: 'The face fills the frame.',
        answer: { letter: 'A', rule: 'option', text: 'A', finishReason: 'stop' },
        probabilitySource: 'answer-token',
      },
    },
    lighting: {
      label: 'Daylight',
      confidence: 0.5,
      distribution: { Daylight: 0.5, Night: 0.5 },
      letter: 'B',
      reasoning: {
        text: 'Unclear.',
        answer: { letter: null, rule: null, text: 'no idea', finishReason: null },
        probabilitySource: 'constrained-choice',
      },
    },
  },
  promptFragment: 'close-up',
  enrichedPrompt: 'A face. Close-up.',
  usage,
};

const fastStill: ShotAnalysis = {
  mode: 'fast',
  media: { kind: 'image' },
  dimensions: { composition: { label: 'Centered', confidence: 0.9, distribution: { Centered: 0.9 }, letter: 'C' } },
  promptFragment: '',
  usage,
};

const shot: SegmentedShot = {
  index: 1,
  start: 1,
  end: 2.5,
  startFrame: 25,
  endFrame: 62,
  startTimecode: '00:00:01:00',
  endTimecode: '00:00:02:12',
  frames: 37,
  transitionIn: 'fade',
  analysedFrames: { start: 28, end: 62 },
  analysedAs: 'video',
  thumbnail: 'data:image/jpeg;base64,/9j/',
  media: fastStill.media,
  dimensions: reasoningAnalysis.dimensions,
  promptFragment: 'close-up',
  usage,
};

const segmented: SegmentedAnalysis = {
  clip: {
    frameRate: 25,
    frames: 62,
    durationSeconds: 2.48,
    width: 64,
    height: 36,
    timecodeRate: 25,
    dropFrame: false,
  },
  shots: [{ ...shot, index: 0, transitionIn: null, thumbnail: undefined, analysedAs: 'still' }, shot],
  usage,
};

const envelope = { id: 'shot-1', created: 1, model: 'tiny', timings: { media_ms: 1, inference_ms: 2, total_ms: 3 } };

describe('the results-file records of shotvl analyze --model', () => {
  it.each([
    ['reasoning, video', reasoningAnalysis],
    ['fast, still without a media description', fastStill],
  ])('write a shot analysis as the HTTP body reads (%s)', (_name, analysis) => {
    const {
      id: _id,
      object: _object,
      created: _created,
      timings: _timings,
      ...body
    } = analyzeShotResponse(analysis, envelope);
    const { timings, ...record } = shotAnalysisRecord(analysis, 'tiny', 3);
    expect(JSON.stringify(record)).toBe(JSON.stringify(body));
    expect(timings).toEqual({ total_ms: 3 });
  });

  it('writes the documented line, byte for byte', () => {
    // A literal, so the wire format cannot drift with the shared mapper unnoticed.
    expect(JSON.stringify(shotAnalysisRecord(fastStill, 'tiny', 3))).toBe(
      '{"model":"tiny","mode":"fast","media":{"kind":"image","width":null,"height":null,"frames":null,' +
        '"duration_seconds":null,"tokens":null},"dimensions":{"composition":{"label":"Centered",' +
        '"confidence":0.9,"distribution":{"Centered":0.9},"letter":"C"}},"prompt_fragment":"",' +
        '"usage":{"requests":3,"prompt_tokens":300,"completion_tokens":12,"total_tokens":312,' +
        '"prompt_tokens_details":{"cached_tokens":128}},"timings":{"total_ms":3}}',
    );
  });

  it('names the fields in snake_case and the dimensions by their JSON keys', () => {
    const record = shotAnalysisRecord(reasoningAnalysis, 'tiny', 3) as {
      dimensions: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(record.dimensions)).toEqual(['shot_size', 'lighting_condition']);
    expect(record.dimensions.shot_size).toMatchObject({
      reasoning: 'The face fills the frame.',
      answer: { letter: 'A', rule: 'option', text: 'A', finish_reason: 'stop' },
      probability_source: 'answer_token',
    });
    expect(record.dimensions.lighting_condition!.probability_source).toBe('constrained_choice');
    expect(record).toMatchObject({
      media: { kind: 'video', duration_seconds: 1, tokens: 560 },
      prompt_fragment: 'close-up',
      enriched_prompt: 'A face. Close-up.',
      usage: { prompt_tokens: 300, total_tokens: 312, prompt_tokens_details: { cached_tokens: 128 } },
    });
    expect(shotAnalysisRecord(fastStill, 'tiny', 3).media).toEqual({
      kind: 'image',
      width: null,
      height: null,
      frames: null,
      duration_seconds: null,
      tokens: null,
    });
  });

  it('write a segmented clip and its shots as the HTTP body reads', () => {
    const {
      id: _id,
      created: _created,
      timings: _timings,
      ...body
    } = segmentationResponse(segmented, 'reasoning', envelope);
    const { timings, ...record } = segmentationRecord(segmented, 'tiny', 'reasoning', 3);
    expect(JSON.stringify(record)).toBe(JSON.stringify(body));
    expect(timings).toEqual({ total_ms: 3 });
    expect(record).toMatchObject({
      object: 'shot.segmentation',
      frame_rate: 25,
      duration_seconds: 2.48,
      clip: { timecode_rate: 25, drop_frame: false },
    });
    expect(record.shots).toEqual(segmented.shots.map(segmentedShotJson));
    expect(record.shots[0]).not.toHaveProperty('thumbnail');
    expect(record.shots[1]).toMatchObject({
      start_frame: 25,
      transition_in: 'fade',
      analysed_frames: { start: 28, end: 62 },
      analysed_as: 'video',
    });
  });
});
