/**
 * KMIP errors (CONVENTIONS.md §3). A `KmipError` carries the Result Reason the client will see and
 * a message that is safe to show a client: never key bytes, PINs, internal paths or stack text.
 * The batch runner maps it to `Operation Failed` + reason + message; anything that is not a
 * KmipError becomes `General Failure` with a fixed message and an error id.
 */
import { ResultReason } from './generated/index.js';

export type ResultReasonValue = (typeof ResultReason)[keyof typeof ResultReason];

export class KmipError extends Error {
  override readonly name = 'KmipError';
  constructor(
    readonly reason: ResultReasonValue,
    message: string,
  ) {
    super(message);
  }
}

export const itemNotFound = (uid?: string): KmipError =>
  new KmipError(ResultReason.ItemNotFound, uid === undefined ? 'Item not found' : `Item not found: ${uid}`);
export const objectDestroyed = (uid: string): KmipError =>
  new KmipError(ResultReason.ObjectDestroyed, `Object destroyed: ${uid}`);
export const permissionDenied = (what = 'Permission denied'): KmipError => new KmipError(ResultReason.PermissionDenied, what);
export const invalidMessage = (msg: string): KmipError => new KmipError(ResultReason.InvalidMessage, msg);
export const invalidField = (msg: string): KmipError => new KmipError(ResultReason.InvalidField, msg);
export const missingData = (msg: string): KmipError => new KmipError(ResultReason.MissingData, msg);
export const featureNotSupported = (msg: string): KmipError => new KmipError(ResultReason.FeatureNotSupported, msg);
export const operationNotSupported = (msg = 'Operation not supported'): KmipError =>
  new KmipError(ResultReason.OperationNotSupported, msg);
export const wrongKeyLifecycleState = (msg: string): KmipError => new KmipError(ResultReason.WrongKeyLifecycleState, msg);
export const keyFormatTypeNotSupported = (msg: string): KmipError =>
  new KmipError(ResultReason.KeyFormatTypeNotSupported, msg);
export const cryptographicFailure = (msg: string): KmipError => new KmipError(ResultReason.CryptographicFailure, msg);
