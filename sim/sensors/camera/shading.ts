/**
 * Lambert shading in three's units (r155+, physically based lights): a surface of linear albedo ρ
 * under ambient A and sun S at incidence n·l shows ρ/π · (A + S · max(0, n·l)) + emissive in
 * linear light, which is then encoded to sRGB bytes as three's output stage does.
 */

const LUT_SIZE = 8192;
/** Linear light in [0, 1] (steps of 1/LUT_SIZE) → sRGB byte, three's transfer function */
const SRGB_LUT = new Uint8Array(LUT_SIZE + 1);
for (let i = 0; i <= LUT_SIZE; i++) {
  const c = i / LUT_SIZE;
  const s = c < 0.0031308 ? c * 12.92 : 1.055 * Math.pow(c, 0.41666) - 0.055;
  SRGB_LUT[i] = Math.min(255, Math.max(0, Math.round(s * 255)));
}

/** sRGB byte of a linear intensity (clamped to [0, 1]). */
export function linearToByte(c: number): number {
  return SRGB_LUT[c <= 0 ? 0 : c >= 1 ? LUT_SIZE : (c * LUT_SIZE + 0.5) | 0];
}

/**
 * Lambert shading of one triangle into a packed 0xBBGGRR colour: `mat[m..m+5]` are its
 * material's albedo/π and emissive, `light` ambient and sun rgb, `normal[n..n+2]` its unit normal
 * and `sun` the unit sun direction in the same frame. (Arrays, not doubles, so calls box nothing.)
 */
export function shade(mat: Float64Array, m: number, light: Float64Array, normal: Float32Array, n: number, sun: Float64Array): number {
  const ndl = normal[n] * sun[0] + normal[n + 1] * sun[1] + normal[n + 2] * sun[2];
  const k = ndl > 0 ? ndl : 0;
  const r = linearToByte(mat[m] * (light[0] + light[3] * k) + mat[m + 3]);
  const g = linearToByte(mat[m + 1] * (light[1] + light[4] * k) + mat[m + 4]);
  const b = linearToByte(mat[m + 2] * (light[2] + light[5] * k) + mat[m + 5]);
  return r | (g << 8) | (b << 16);
}
