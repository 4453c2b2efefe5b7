// Issue 11 "Must show": the structured-output helpers of the clients people use, against one live
// server with the tiny model (random weights: only the grammar makes the output valid). Each
// returns an object valid against its schema, streaming and not, and a tool-calling round trip
// (call -> tool result -> answer) completes. Raw responses and chunks are checked against OpenAI's spec.
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { tool as langchainTool } from '@langchain/core/tools';
import type { AIMessage } from '@langchain/core/messages';
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { generateObject, generateText, Output, stepCountIs, streamObject, tool } from 'ai';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { assertOpenAiShape } from '../server/openai-schema.js';
import { startLiveTinyServer, type LiveTinyServer } from './live-tiny-server.js';

/** Small and bounded: the random model writes until the grammar ends. */
const Shot = z.object({ size: z.enum(['wide', 'medium', 'close']), frame: z.number().int().min(0).max(9) });
const shotSizeParameters = {
  type: 'object',
  properties: { frame: { type: 'integer', minimum: 0, maximum: 9 } },
  required: ['frame'],
  additionalProperties: false,
} as const;
const JSON_TOKENS = 96;
const TOOL_TOKENS = 256;

let live: LiveTinyServer;
let client: OpenAI;
let baseURL = '';

beforeAll(async () => {
  live = await startLiveTinyServer();
  baseURL = `${live.url}/v1`;
  client = new OpenAI({ apiKey: 'unused', baseURL, maxRetries: 0, timeout: 60_000 });
});

afterAll(async () => {
  await live?.close();
});

describe('openai npm client', () => {
  it('chat.completions.parse with zodResponseFormat returns a valid object', async () => {
    const completion = await client.chat.completions.parse({
      model: live.modelId,
      messages: [{ role: 'user', content: 'Describe the shot.' }],
      response_format: zodResponseFormat(Shot, 'shot'),
      max_tokens: JSON_TOKENS,
      temperature: 0,
    });
    const { parsed, ...message } = completion.choices[0]!.message;
    assertOpenAiShape('CreateChatCompletionResponse', {
      ...completion,
      choices: [{ ...completion.choices[0], message }],
    });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(Shot.parse(parsed)).toEqual(parsed);
  });

  it('streams a json_schema answer whose chunks follow the spec and whose text parses', async () => {
    const stream = client.chat.completions.stream({
      model: live.modelId,
      messages: [{ role: 'user', content: 'Describe the shot.' }],
      response_format: zodResponseFormat(Shot, 'shot'),
      max_tokens: JSON_TOKENS,
      temperature: 0.8,
      seed: 3,
    });
    for await (const chunk of stream) assertOpenAiShape('CreateChatCompletionStreamResponse', chunk);
    const final = await stream.finalChatCompletion();
    expect(Shot.safeParse(final.choices[0]!.message.parsed).success).toBe(true);
  });

  it('completes a tool-calling round trip (required call, tool result, answer), streaming the call', async () => {
    const tools = [
      { type: 'function' as const, function: { name: 'get_shot_size', parameters: shotSizeParameters } },
      { type: 'function' as const, function: { name: 'get_lens', parameters: { type: 'object', properties: {} } } },
    ];
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the shot size of frame 3?' }];
    const first = await client.chat.completions.create({
      model: live.modelId,
      messages,
      tools,
      tool_choice: { type: 'function', function: { name: 'get_shot_size' } },
      max_tokens: TOOL_TOKENS,
    });
    assertOpenAiShape('CreateChatCompletionResponse', first);
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_shot_size');
    const args = JSON.parse(call.type === 'function' ? call.function.arguments : '') as { frame: number };
    expect(args.frame).toBeGreaterThanOrEqual(0);
    expect(args.frame).toBeLessThanOrEqual(9);

    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'wide' });
    const answer = await client.chat.completions.create({
      model: live.modelId,
      messages,
      tools,
      tool_choice: 'none',
      max_tokens: 8,
    });
    assertOpenAiShape('CreateChatCompletionResponse', answer);
    expect(typeof answer.choices[0]!.message.content).toBe('string');
    expect(answer.choices[0]!.message.tool_calls).toBeUndefined();
    expect(['stop', 'length']).toContain(answer.choices[0]!.finish_reason);

    const stream = await client.chat.completions.create({
      model: live.modelId,
      messages: messages.slice(0, 1),
      tools,
      tool_choice: 'required',
      parallel_tool_calls: false,
      max_tokens: TOOL_TOKENS,
      stream: true,
    });
    const calls: { id?: string; name?: string; arguments: string }[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      assertOpenAiShape('CreateChatCompletionStreamResponse', chunk);
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        const entry = (calls[delta.index] ??= { arguments: '' });
        if (delta.id !== undefined) entry.id = delta.id;
        if (delta.function?.name !== undefined) entry.name = delta.function.name;
        entry.arguments += delta.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.id).toMatch(/^call_/);
    expect(['get_shot_size', 'get_lens']).toContain(calls[0]!.name);
    expect(typeof JSON.parse(calls[0]!.arguments)).toBe('object');
  });
});

describe('Vercel AI SDK', () => {
  it('generateObject and streamObject through @ai-sdk/openai-compatible', async () => {
    const provider = createOpenAICompatible({ name: 'shotvl', baseURL, supportsStructuredOutputs: true });
    const { object } = await generateObject({
      model: provider(live.modelId),
      schema: Shot,
      prompt: 'Describe the shot.',
      maxOutputTokens: JSON_TOKENS,
      temperature: 0,
    });
    expect(Shot.parse(object)).toEqual(object);
    const streamed = streamObject({
      model: provider(live.modelId),
      schema: Shot,
      prompt: 'Describe the shot.',
      maxOutputTokens: JSON_TOKENS,
      temperature: 0,
    });
    // The object settles once the stream has been read.
    let partials = 0;
    for await (const partial of streamed.partialObjectStream) partials += partial === undefined ? 0 : 1;
    expect(partials).toBeGreaterThan(1);
    expect(Shot.safeParse(await streamed.object).success).toBe(true);
  });

  it('generateText with Output.object, and a tool round trip', async () => {
    const provider = createOpenAICompatible({ name: 'shotvl', baseURL, supportsStructuredOutputs: true });
    const result = await generateText({
      model: provider(live.modelId),
      output: Output.object({ schema: Shot }),
      prompt: 'Describe the shot.',
      maxOutputTokens: JSON_TOKENS,
      temperature: 0,
    });
    expect(Shot.safeParse(result.output).success).toBe(true);

    let executed: unknown;
    const round = await generateText({
      model: provider(live.modelId),
      tools: {
        get_shot_size: tool({
          inputSchema: z.object({ frame: z.number().int().min(0).max(9) }),
          execute: async (input) => {
            executed = input;
            return 'wide';
          },
        }),
      },
      prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? 'required' : 'none' }),
      stopWhen: stepCountIs(2),
      prompt: 'What is the shot size of frame 3?',
      maxOutputTokens: TOOL_TOKENS,
      temperature: 0,
      providerOptions: { shotvl: { parallel_tool_calls: false } },
    });
    expect(executed).toMatchObject({ frame: expect.any(Number) });
    expect(round.steps).toHaveLength(2);
    expect(round.steps[0]!.finishReason).toBe('tool-calls');
    expect(typeof round.text).toBe('string');
  });

  it('generateObject through @ai-sdk/openai (Responses API and chat model)', async () => {
    const openai = createOpenAI({ baseURL, apiKey: 'unused' });
    for (const model of [openai.responses(live.modelId), openai.chat(live.modelId)]) {
      const { object } = await generateObject({
        model,
        schema: Shot,
        prompt: 'Describe the shot.',
        maxOutputTokens: JSON_TOKENS,
        temperature: 0,
      });
      expect(Shot.parse(object)).toEqual(object);
    }
  });
});

describe('LangChain ChatOpenAI', () => {
  const chat = () =>
    new ChatOpenAI({
      model: live.modelId,
      apiKey: 'unused',
      configuration: { baseURL },
      temperature: 0,
      maxTokens: TOOL_TOKENS,
      maxRetries: 0,
    });

  it('withStructuredOutput: jsonSchema, functionCalling, and jsonMode', async () => {
    for (const method of ['jsonSchema', 'functionCalling'] as const) {
      const value = await chat().withStructuredOutput(Shot, { method, name: 'shot' }).invoke('Describe the shot.');
      expect(Shot.parse(value)).toEqual(value);
    }
    // jsonMode asks for any JSON object (response_format json_object), not the schema's shape, and
    // random weights need not close it within max_tokens: what holds is that the answer is an object
    // that parses whenever it ended by itself.
    const open = z.record(z.string(), z.unknown());
    const { raw, parsed } = await chat()
      .withStructuredOutput(open, { method: 'jsonMode', includeRaw: true })
      .invoke('Describe the shot as JSON.');
    const text = String(raw.content);
    expect(text.trimStart().startsWith('{')).toBe(true);
    const finish = (raw.response_metadata as { finish_reason?: string }).finish_reason;
    if (finish === 'stop') expect(typeof parsed).toBe('object');
    else expect(finish).toBe('length');
  });

  it('streams withStructuredOutput and completes a tool round trip', async () => {
    let last: unknown;
    for await (const part of await chat()
      .withStructuredOutput(Shot, { method: 'jsonSchema' })
      .stream('Describe the shot.'))
      last = part;
    expect(Shot.safeParse(last).success).toBe(true);

    const getShotSize = langchainTool(async () => 'wide', {
      name: 'get_shot_size',
      description: 'The shot size of a frame',
      schema: z.object({ frame: z.number().int().min(0).max(9) }),
    });
    const question = new HumanMessage('What is the shot size of frame 3?');
    const call = await chat().bindTools([getShotSize], { tool_choice: 'required' }).invoke([question]);
    expect(call.tool_calls?.[0]).toMatchObject({ name: 'get_shot_size', args: { frame: expect.any(Number) } });
    const result = await getShotSize.invoke(call.tool_calls![0]!);
    expect(result).toBeInstanceOf(ToolMessage);
    const answer = await chat()
      .bindTools([getShotSize], { tool_choice: 'none' })
      .invoke([question, call as AIMessage, result as ToolMessage]);
    expect(typeof answer.content).toBe('string');
    expect(answer.tool_calls ?? []).toHaveLength(0);
  });
});
