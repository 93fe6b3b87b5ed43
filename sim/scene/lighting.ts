/**
 * Light presets by time of day: one plain object that both the three.js scene (the browser
 * viewer's WebGLRenderer) and the camera rasteriser read, so the two draw the same light.
 *
 * Colours are 0xRRGGBB in sRGB, as three's light and Color constructors take them; intensities
 * are three's (physically based, r155+) units, so a Lambert surface of linear albedo ρ shows
 * ρ/π · (ambient + sun · max(0, n·l)) + emissive, in linear light.
 */
import type { z } from 'zod';
import type { EnvironmentSpec } from '../../scenarios/schema.ts';

export type Environment = z.infer<typeof EnvironmentSpec>;
export type TimeOfDay = Environment['timeOfDay'];

export interface Lighting {
  /** Unit vector towards the sun (or moon) in world axes: X east, Y up, Z south */
  readonly sunDirection: { readonly x: number; readonly y: number; readonly z: number };
  /** sRGB 0xRRGGBB */
  readonly sunColor: number;
  readonly sunIntensity: number;
  readonly ambientColor: number;
  readonly ambientIntensity: number;
  /** Background where nothing is hit */
  readonly skyColor: number;
  /** Colour that distant surfaces fade towards */
  readonly fogColor: number;
  /** Exponential fog: a surface at depth d keeps exp(−fogDensity · d) of its colour [1/m] */
  readonly fogDensity: number;
  /**
   * Glow of vehicle head and tail lamps as a fraction of their colour, added as emissive light
   * (0 by day): it keeps them visible at night, when the sun no longer lights them.
   */
  readonly lampGlow: number;
}

/** The day sky; DrivingScene's SKY_COLOUR */
export const DAY_SKY_COLOUR = 0x9cc4e8;

interface Preset {
  /** Sun direction [deg]: azimuth anticlockwise from +x (east), elevation above the horizon */
  azimuth: number;
  elevation: number;
  sunColor: number;
  sunIntensity: number;
  ambientColor: number;
  ambientIntensity: number;
  skyColor: number;
  lampGlow: number;
}

const PRESETS: Readonly<Record<TimeOfDay, Preset>> = {
  // From the south-east, 50° up, so vehicle sides facing the common +x and −x headings differ.
  day: { azimuth: -40, elevation: 50, sunColor: 0xfff3e0, sunIntensity: 2.0, ambientColor: 0xdde6f0, ambientIntensity: 1.0, skyColor: DAY_SKY_COLOUR, lampGlow: 0 },
  // Low in the west: long warm light on the faces turned to it, an orange sky.
  dusk: { azimuth: 190, elevation: 10, sunColor: 0xffa060, sunIntensity: 1.6, ambientColor: 0xc0a8b8, ambientIntensity: 1.2, skyColor: 0xd98a5a, lampGlow: 0.5 },
  // Moonlight: faint and blue; lamps carry the scene.
  night: { azimuth: 60, elevation: 35, sunColor: 0x9aa8d0, sunIntensity: 0.18, ambientColor: 0x3a4866, ambientIntensity: 0.25, skyColor: 0x070a14, lampGlow: 1.0 },
};

const DEG = Math.PI / 180;

/** The light of an environment spec; fields left out take the schema's defaults. */
export function lightingFor(environment: Partial<Environment> = {}): Lighting {
  const preset = PRESETS[environment.timeOfDay ?? 'day'];
  const azimuth = (environment.sun?.azimuth ?? preset.azimuth) * DEG;
  const elevation = (environment.sun?.elevation ?? preset.elevation) * DEG;
  const horizontal = Math.cos(elevation);
  return {
    // Ground (x, y) → world (X, −Z).
    sunDirection: { x: horizontal * Math.cos(azimuth), y: Math.sin(elevation), z: -horizontal * Math.sin(azimuth) },
    sunColor: preset.sunColor,
    sunIntensity: preset.sunIntensity,
    ambientColor: preset.ambientColor,
    ambientIntensity: preset.ambientIntensity,
    skyColor: preset.skyColor,
    fogColor: preset.skyColor,
    fogDensity: environment.fog ?? 0,
    lampGlow: preset.lampGlow,
  };
}
