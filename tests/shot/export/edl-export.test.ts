// The EDL is read back with a small CMX 3600 parser: header, event lines (event, reel, track,
// transition, four timecodes), comment and marker lines.
import { describe, expect, it } from 'vitest';
import { shotsToEdl } from '../../../src/shot/export/edl-export.js';
import { timecodeRate, timecodeToFrame } from '../../../src/shot/export/timecode.js';
import { fixtureClip } from './fixture-clip.js';

interface EdlEvent {
  number: number;
  reel: string;
  track: string;
  transition: string;
  sourceIn: string;
  sourceOut: string;
  recordIn: string;
  recordOut: string;
  comments: string[];
  markers: string[];
}

function parseEdl(text: string): { title: string; fcm: string; events: EdlEvent[] } {
  const lines = text.split('\r\n');
  expect(text.includes('\n') && !/[^\r]\n/.test(text)).toBe(true); // CRLF only
  const title = /^TITLE: (.*)$/.exec(lines[0] ?? '')?.[1];
  const fcm = /^FCM: (DROP FRAME|NON-DROP FRAME)$/.exec(lines[1] ?? '')?.[1];
  if (title === undefined || fcm === undefined) throw new Error('bad header');
  const events: EdlEvent[] = [];
  const timecode = '(\\d{2}:\\d{2}:\\d{2}[:;]\\d{2})';
  const eventLine = new RegExp(
    `^(\\d{3})  (\\S{1,8}) +(V|A|AA|B) +(C|D|W\\d{3}) +${timecode} ${timecode} ${timecode} ${timecode}$`,
  );
  for (const line of lines.slice(2)) {
    if (line === '') continue;
    const match = eventLine.exec(line);
    if (match !== null) {
      const [, number, reel, track, transition, sourceIn, sourceOut, recordIn, recordOut] =
        match as unknown as string[];
      events.push({
        number: Number(number),
        reel: reel!,
        track: track!,
        transition: transition!,
        sourceIn: sourceIn!,
        sourceOut: sourceOut!,
        recordIn: recordIn!,
        recordOut: recordOut!,
        comments: [],
        markers: [],
      });
      continue;
    }
    const event = events.at(-1);
    if (event === undefined) throw new Error(`line before the first event: ${line}`);
    if (line.startsWith('* ')) event.comments.push(line.slice(2));
    else if (line.startsWith(' |C:')) event.markers.push(line);
    else throw new Error(`unknown line: ${line}`);
  }
  return { title, fcm, events };
}

describe('shotsToEdl', () => {
  it('writes one cut event per shot on a record timeline equal to the source', () => {
    const edl = parseEdl(shotsToEdl(fixtureClip()));
    expect(edl.fcm).toBe('NON-DROP FRAME');
    expect(edl.events.map((event) => event.number)).toEqual([1, 2, 3]);
    const rate = timecodeRate(25);
    expect(
      edl.events.map((event) => [timecodeToFrame(event.sourceIn, rate), timecodeToFrame(event.sourceOut, rate)]),
    ).toEqual([
      [0, 50],
      [50, 100],
      [100, 150],
    ]);
    for (const event of edl.events) {
      expect([event.reel, event.track, event.transition]).toEqual(['AX', 'V', 'C']);
      expect([event.recordIn, event.recordOut]).toEqual([event.sourceIn, event.sourceOut]);
      expect(event.comments[0]).toBe('FROM CLIP NAME: reel "one", take 2.mp4');
      expect(event.markers).toHaveLength(1);
    }
    expect(edl.events[1]!.comments).toContain(
      'SHOTVL VIDEO: shot_size: Close Up (0.81); camera_angle: Eye Level (0.50)',
    );
    expect(edl.events[1]!.markers[0]).toBe(' |C:ResolveColorBlue |M:close-up |D:50');
    expect(edl.events[2]!.comments).toContain('SHOTVL TRANSITION IN: DISSOLVE');
    expect(edl.events[2]!.markers[0]).toContain('|M:Shot 3 |');
  });

  it('uses drop-frame timecode at 29.97 fps', () => {
    const edl = parseEdl(shotsToEdl(fixtureClip(30000 / 1001, 5400)));
    expect(edl.fcm).toBe('DROP FRAME');
    expect(edl.events[1]!.sourceIn).toBe('00:01:00;02');
  });

  it('refuses more events than CMX 3600 numbers', () => {
    const clip = fixtureClip();
    const shots = Array.from({ length: 1000 }, (_, index) => ({
      ...clip.shots[0]!,
      index,
      startFrame: index,
      endFrame: index + 1,
    }));
    expect(() => shotsToEdl({ ...clip, frameCount: 1000, shots })).toThrow(/at most 999 events/);
  });
});
