/**
 * The ways a catalog file can be unusable. Each names the file, because the user may have to find
 * it, and says what the catalog is: a cache that the repositories can refill.
 */
import { SnapferryError } from "../common/errors.js";

/** Rebuilding covers repositories and restore points only: sources, jobs and history live nowhere else. */
const REBUILD_HINT =
  'The catalog is a cache: Snapferry can set this file aside and start a fresh one, then open each repository again ("Open existing repository") to list its restore points. Sources, job definitions and run history kept in the old file must be added again.';

/** Not a SQLite database, or one whose pages are damaged. */
export class CatalogUnreadableError extends SnapferryError {
  constructor(
    readonly file: string,
    detail: string,
    cause?: unknown,
  ) {
    super("corrupt-data", `the catalog ${file} cannot be read: ${detail}`, REBUILD_HINT, { cause });
  }
}

/** Written by a newer Snapferry: an older one must not guess at a schema it does not know. */
export class CatalogTooNewError extends SnapferryError {
  constructor(
    readonly file: string,
    readonly fileVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      "config",
      `the catalog ${file} has schema version ${fileVersion}, newer than this Snapferry knows (version ${knownVersion})`,
      "Run the newer Snapferry that wrote it, or update this one. Nothing in the file was changed.",
    );
  }
}

/** A row that breaks the schema's own rules: the file was damaged or edited by hand. */
export class CatalogRowError extends SnapferryError {
  constructor(file: string, what: string, detail: string) {
    super("corrupt-data", `the catalog ${file} holds a damaged ${what}: ${detail}`, REBUILD_HINT);
  }
}
