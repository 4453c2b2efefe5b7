// A deterministic synthetic still (gradients, a checkerboard of edges) as PNG bytes, so that
// benchmarks and `shotvl parity --reference` need no image file and always see the same pixels.
import sharp from 'sharp';

export async function testCard(width: number, height: number): Promise<Uint8Array> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const offset = (y * width + x) * 3;
      pixels[offset] = (x * 255) / width;
      pixels[offset + 1] = (y * 255) / height;
      pixels[offset + 2] = ((x >> 5) + (y >> 5)) % 2 === 0 ? 40 : 215;
    }
  }
  return new Uint8Array(
    await sharp(pixels, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}
