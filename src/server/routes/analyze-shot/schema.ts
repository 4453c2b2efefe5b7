// POST /analyze-shot: one still or one clip in, the ShotBench dimensions out. The request is JSON
// (`image_url` or `video_url`, the URL kinds of chat completions) or multipart/form-data with the
// shot as the `file` part and the same options as text fields.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ANALYSIS_MODES } from '../../../shot/analysis/analysis-question.js';
import { DIMENSION_KEYS } from '../../../shot/analysis/dimension-keys.js';
import { errorResponses, type RouteSpec } from '../../openapi/route-spec.js';
import { MAX_PIXELS, MIN_PIXELS, MIN_VIDEO_FPS, SHOTBENCH_VIDEO_FPS } from '../../../media/smart-resize.js';

const MediaUrl = Type.Union(
  [
    Type.String({ description: 'The URL itself' }),
    Type.Object(
      { url: Type.String(), detail: Type.Optional(Type.String({ description: 'Accepted and ignored' })) },
      { additionalProperties: false },
    ),
  ],
  { description: 'data: (base64), http(s): or file: (under --allowed-local-media-path) URL, as in chat completions' },
);

/** The options, shared by the JSON body and the multipart text fields. */
const optionProperties = {
  model: Type.Optional(Type.String({ description: 'The served model name (GET /v1/models); defaults to it' })),
  dimensions: Type.Optional(
    Type.Array(Type.String(), {
      minItems: 1,
      maxItems: 16,
      description:
        `Dimensions to ask, default all that apply (camera_movement only for videos): ${DIMENSION_KEYS.join(', ')}; ` +
        'ShotBench category names and the paper abbreviations (SS SF CA LS LT LC SC CM) are accepted too. ' +
        'In a multipart form: one field, comma-separated, or the field repeated.',
    }),
  ),
  mode: Type.Optional(
    Type.Union(
      ANALYSIS_MODES.map((mode) => Type.Literal(mode)),
      {
        description:
          "fast (default): Qwen's default system prompt, the option letter by constrained choice, probabilities of every label. " +
          "reasoning: ShotVL's <think>/<answer> system prompt, generated reasoning, the answer parsed with ShotBench's rules.",
      },
    ),
  ),
  prompt: Type.Optional(
    Type.String({ maxLength: 8000, description: 'A text-to-video prompt to enrich with the prompt fragment' }),
  ),
  max_pixels: Type.Optional(
    Type.Integer({
      minimum: MIN_PIXELS,
      maximum: MAX_PIXELS,
      description:
        'Pixel budget per image or video frame; may only lower the ShotBench defaults (images 16384*28*28, video frames 360*640)',
    }),
  ),
  fps: Type.Optional(
    Type.Number({
      minimum: MIN_VIDEO_FPS,
      maximum: SHOTBENCH_VIDEO_FPS,
      description: 'Video sampling rate; may only lower the ShotBench default of 12; ignored for images',
    }),
  ),
  max_tokens: Type.Optional(
    Type.Integer({
      minimum: 1,
      description: 'reasoning mode: generation limit per dimension (default 1024, as the official evaluation)',
    }),
  ),
  cache_salt: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'Only requests with the same salt share prefix-cache entries',
    }),
  ),
  segment: Type.Optional(
    Type.Union([Type.Literal('none'), Type.Literal('auto')], {
      description:
        'none (default): the clip is one shot. auto: split the clip into shots at its cuts, fades and dissolves and ' +
        'analyse each shot (videos only); the response is a shot.segmentation',
    }),
  ),
  shot_threshold: Type.Optional(
    Type.Number({
      exclusiveMinimum: 0,
      maximum: 255,
      description: 'segment auto: HSV change (0-255) a cut must reach; default --shot-threshold (27)',
    }),
  ),
  min_shot_seconds: Type.Optional(
    Type.Number({
      minimum: 0,
      maximum: 3600,
      description: 'segment auto: shortest shot; default --min-shot-seconds (0.5)',
    }),
  ),
  max_shots: Type.Optional(
    Type.Integer({
      minimum: 1,
      description: 'segment auto: most shots; may only lower --max-shots (999); more is a 413',
    }),
  ),
  thumbnails: Type.Optional(
    Type.Boolean({ description: "segment auto: add a small JPEG data URL of each shot's middle frame" }),
  ),
  stream: Type.Optional(
    Type.Boolean({
      description:
        'segment auto: answer with server-sent events: shot.segmentation.outline (the shots, once detected), ' +
        'shot.segmentation.shot per analysed shot, then the whole shot.segmentation, then [DONE]',
    }),
  ),
};

export const AnalyzeShotRequest = Type.Object(
  {
    image_url: Type.Optional(MediaUrl),
    video_url: Type.Optional(MediaUrl),
    ...optionProperties,
  },
  { title: 'AnalyzeShotRequest', description: 'Exactly one of image_url or video_url', additionalProperties: false },
);
export type AnalyzeShotRequest = Static<typeof AnalyzeShotRequest>;

/** The options as validated after reading a multipart form (the file travels as a part of its own). */
export const AnalyzeShotOptions = Type.Object(optionProperties, { additionalProperties: false });
export type AnalyzeShotOptions = Static<typeof AnalyzeShotOptions>;

const textField = (schema: TSchema): TSchema => Type.String({ description: schema.description });

/** For openapi.yaml only: the multipart form (validated by the route after reading it). */
export const AnalyzeShotUpload = Type.Object(
  {
    file: Type.String({
      format: 'binary',
      description: 'The still or clip; image or video is told from its bytes, not its name',
    }),
    dimensions: Type.Optional(Type.String({ description: 'Comma-separated dimension names (or the field repeated)' })),
    mode: Type.Optional(Type.String({ enum: [...ANALYSIS_MODES] })),
    prompt: Type.Optional(textField(optionProperties.prompt)),
    max_pixels: Type.Optional(textField(optionProperties.max_pixels)),
    fps: Type.Optional(textField(optionProperties.fps)),
    max_tokens: Type.Optional(textField(optionProperties.max_tokens)),
    model: Type.Optional(textField(optionProperties.model)),
    cache_salt: Type.Optional(textField(optionProperties.cache_salt)),
    segment: Type.Optional(Type.String({ enum: ['none', 'auto'] })),
    shot_threshold: Type.Optional(textField(optionProperties.shot_threshold)),
    min_shot_seconds: Type.Optional(textField(optionProperties.min_shot_seconds)),
    max_shots: Type.Optional(textField(optionProperties.max_shots)),
    thumbnails: Type.Optional(
      Type.String({ enum: ['true', 'false'], description: optionProperties.thumbnails.description }),
    ),
    stream: Type.Optional(Type.String({ enum: ['true', 'false'], description: optionProperties.stream.description })),
  },
  { title: 'AnalyzeShotUpload', required: ['file'] },
);

const Probability = Type.Number({ minimum: 0, maximum: 1 });

export const DimensionAnalysis = Type.Object(
  {
    label: Type.String({
      description:
        "The most likely label (reasoning mode: the model's parsed answer), always from the dimension's vocabulary",
    }),
    confidence: Type.Number({ minimum: 0, maximum: 1, description: 'distribution[label]' }),
    distribution: Type.Record(Type.String(), Probability, {
      description: "Every label of the dimension's vocabulary -> probability; sums to 1",
    }),
    letter: Type.String({ description: 'The option letter of label in the question the model was asked' }),
    reasoning: Type.Optional(Type.String({ description: 'reasoning mode: the text inside <think>...</think>' })),
    answer: Type.Optional(
      Type.Object({
        letter: Type.Union([Type.String(), Type.Null()], {
          description: "The letter ShotBench's rules read from <answer>; null when they read none",
        }),
        rule: Type.Union([Type.Literal('option'), Type.Literal('text'), Type.Literal('no-answer'), Type.Null()], {
          description: 'What decided: a letter (option), an option text (text), Z (no-answer), or nothing (null)',
        }),
        text: Type.String({
          description: 'What the rules read: the text inside <answer>...</answer>, else the whole output',
        }),
        finish_reason: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
    probability_source: Type.Optional(
      Type.Union([Type.Literal('answer_token'), Type.Literal('constrained_choice')], {
        description:
          "reasoning mode: the answer letter token's alternatives, or a constrained-choice question when the reasoning named no letter",
      }),
    ),
  },
  { title: 'ShotDimensionAnalysis' },
);

/** One object for every key: the OpenAPI builder turns one titled schema into one component. */
const OptionalDimensionAnalysis = Type.Optional(DimensionAnalysis);

const NullableNumber = (description: string) => Type.Union([Type.Number(), Type.Null()], { description });

const MediaSummary = Type.Object(
  {
    kind: Type.Union([Type.Literal('image'), Type.Literal('video')]),
    width: NullableNumber('Decoded width in pixels'),
    height: NullableNumber('Decoded height in pixels'),
    frames: NullableNumber('Frames sampled (videos)'),
    duration_seconds: NullableNumber('Duration (videos)'),
    tokens: NullableNumber('Vision tokens the shot occupies in each prompt'),
  },
  { title: 'ShotMediaSummary' },
);

const Dimensions = Type.Object(Object.fromEntries(DIMENSION_KEYS.map((key) => [key, OptionalDimensionAnalysis])), {
  title: 'ShotDimensions',
  description: 'One entry per dimension asked',
});

const Usage = Type.Object(
  {
    requests: Type.Integer({
      description: 'Engine requests made: one per dimension (plus constrained-choice fallbacks in reasoning mode)',
    }),
    prompt_tokens: Type.Integer(),
    completion_tokens: Type.Integer(),
    total_tokens: Type.Integer(),
    prompt_tokens_details: Type.Object({
      cached_tokens: Type.Integer({ description: 'Prompt tokens served from the prefix cache' }),
    }),
  },
  { title: 'ShotAnalysisUsage' },
);

const Timings = Type.Object(
  {
    media_ms: Type.Number({ description: 'Receiving the upload or fetching the URL' }),
    inference_ms: Type.Number({ description: 'Preprocessing and all questions on the engine (and shot detection)' }),
    total_ms: Type.Number(),
  },
  { title: 'ShotAnalysisTimings' },
);

export const AnalyzeShotResponse = Type.Object(
  {
    id: Type.String({ description: 'shot-...' }),
    object: Type.Literal('shot.analysis'),
    created: Type.Integer(),
    model: Type.String(),
    mode: Type.Union(ANALYSIS_MODES.map((mode) => Type.Literal(mode))),
    media: MediaSummary,
    dimensions: Dimensions,
    prompt_fragment: Type.String({
      description: 'The confident labels (probability >= 0.5) as a text-to-video prompt phrases them',
    }),
    enriched_prompt: Type.Optional(
      Type.String({ description: 'prompt followed by the fragment, when a prompt was given' }),
    ),
    usage: Usage,
    timings: Timings,
  },
  { title: 'AnalyzeShotResponse' },
);
export type AnalyzeShotResponse = Static<typeof AnalyzeShotResponse>;

const Transition = Type.Union([Type.Literal('cut'), Type.Literal('fade'), Type.Literal('dissolve'), Type.Null()], {
  description: 'How the shot begins: a hard cut, a fade through black, a cross-dissolve; null for the first shot',
});

const ShotOutlineProperties = {
  index: Type.Integer({ minimum: 0 }),
  start: Type.Number({ description: 'Seconds from the start of the clip (start_frame / frame_rate)' }),
  end: Type.Number({ description: 'Where the next shot starts, in seconds' }),
  start_frame: Type.Integer({ minimum: 0 }),
  end_frame: Type.Integer({ description: 'Exclusive: the first frame of the next shot' }),
  start_timecode: Type.String({
    description: 'HH:MM:SS:FF in the clip frame rate (HH:MM:SS;FF drop-frame at 29.97/59.94)',
  }),
  end_timecode: Type.String(),
  frames: Type.Integer({ minimum: 1 }),
  transition_in: Transition,
  analysed_frames: Type.Object(
    { start: Type.Integer(), end: Type.Integer() },
    { description: 'The frames analysed, [start, end): the shot without the frames of its transitions' },
  ),
};

export const ShotOutline = Type.Object(ShotOutlineProperties, { title: 'ShotOutline' });

export const SegmentedShot = Type.Object(
  {
    ...ShotOutlineProperties,
    analysed_as: Type.Union([Type.Literal('video'), Type.Literal('still')], {
      description: 'still: too short for the video model, analysed from its middle frame (no camera movement)',
    }),
    thumbnail: Type.Optional(
      Type.String({ description: 'data:image/jpeg;base64 of the middle frame (thumbnails: true)' }),
    ),
    media: MediaSummary,
    dimensions: Dimensions,
    prompt_fragment: Type.String(),
    usage: Usage,
  },
  { title: 'SegmentedShot' },
);

export const ClipTiming = Type.Object(
  {
    frame_rate: Type.Number({ description: 'Average frame rate of the video stream' }),
    frames: Type.Integer({ description: 'Frames decoded' }),
    duration_seconds: Type.Number(),
    width: Type.Integer(),
    height: Type.Integer(),
    timecode_rate: Type.Integer({ description: 'Frames per timecode second' }),
    drop_frame: Type.Boolean(),
  },
  { title: 'ClipTiming' },
);

export const AnalyzeShotSegmentsResponse = Type.Object(
  {
    id: Type.String({ description: 'shot-...' }),
    object: Type.Literal('shot.segmentation'),
    created: Type.Integer(),
    model: Type.String(),
    mode: Type.Union(ANALYSIS_MODES.map((mode) => Type.Literal(mode))),
    frame_rate: Type.Number(),
    duration_seconds: Type.Number(),
    clip: ClipTiming,
    shots: Type.Array(SegmentedShot),
    usage: Usage,
    timings: Timings,
  },
  { title: 'AnalyzeShotSegmentsResponse' },
);
export type AnalyzeShotSegmentsResponse = Static<typeof AnalyzeShotSegmentsResponse>;

export const AnalyzeShotSegmentsEvent = Type.Union(
  [
    Type.Object({
      object: Type.Literal('shot.segmentation.outline'),
      id: Type.String(),
      clip: ClipTiming,
      shots: Type.Array(ShotOutline),
    }),
    Type.Object({ object: Type.Literal('shot.segmentation.shot'), id: Type.String(), shot: SegmentedShot }),
    AnalyzeShotSegmentsResponse,
  ],
  {
    title: 'AnalyzeShotSegmentsEvent',
    description: 'One server-sent event (data: <json>); data: [DONE] ends the stream',
  },
);

export const analyzeShotSpec: RouteSpec = {
  method: 'POST',
  url: '/analyze-shot',
  operationId: 'analyzeShot',
  summary: 'The ShotBench cinematography dimensions of a still or a clip, with probabilities and a prompt fragment',
  description:
    'Asks ShotVL the ShotBench question of every dimension (shot size, shot framing, camera angle, lens size, lighting type, ' +
    'lighting condition, composition; camera movement for videos) with the whole vocabulary as options. The shot is encoded ' +
    'and prefilled once for all questions. Send JSON with image_url or video_url, or multipart/form-data with a file part ' +
    '(streamed to disk, at most --media-max-bytes).',
  tag: 'ShotVL',
  authenticated: true,
  body: AnalyzeShotRequest,
  bodyContent: { 'multipart/form-data': AnalyzeShotUpload },
  responses: {
    '200': {
      description: 'The analysis (segment auto: a shot.segmentation; with stream, server-sent events)',
      content: {
        'application/json': Type.Union([AnalyzeShotResponse, AnalyzeShotSegmentsResponse]),
        'text/event-stream': AnalyzeShotSegmentsEvent,
      },
    },
    ...errorResponses([400, 401, 404, 413, 415, 422, 500, 503, 504]),
  },
};
