/**
 * Which TLS versions a context may be set to, and the versions its protocol pins: Python's
 * `minimum_version`/`maximum_version` rules, kept apart from SSLContext's surface.
 */
import {
  PROTOCOL_TLSv1,
  PROTOCOL_TLSv1_1,
  PROTOCOL_TLSv1_2,
  TLSVersion,
} from '../constants/ssl-constants.js';

/** The values `minimumVersion`/`maximumVersion` accept. */
export const SUPPORTED_VERSIONS: ReadonlySet<number> = new Set<number>([
  TLSVersion.MINIMUM_SUPPORTED,
  TLSVersion.MAXIMUM_SUPPORTED,
  TLSVersion.TLSv1,
  TLSVersion.TLSv1_1,
  TLSVersion.TLSv1_2,
  TLSVersion.TLSv1_3,
]);

/** The deprecated one-version protocols, and the version each pins (Python refuses to change it). */
export const PINNED_VERSION: Partial<Record<number, number>> = {
  [PROTOCOL_TLSv1]: TLSVersion.TLSv1,
  [PROTOCOL_TLSv1_1]: TLSVersion.TLSv1_1,
  [PROTOCOL_TLSv1_2]: TLSVersion.TLSv1_2,
};

/** A TLSVersion as an engine takes it: the MINIMUM/MAXIMUM_SUPPORTED markers made concrete. */
export function resolveVersion(version: TLSVersion, floor: number): number {
  if (version === TLSVersion.MINIMUM_SUPPORTED) return floor;
  if (version === TLSVersion.MAXIMUM_SUPPORTED) return TLSVersion.TLSv1_3;
  return version;
}
