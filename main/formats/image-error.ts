/**
 * A disk image that cannot be read as what it claims to be: a truncated header, a table that
 * points past the end of the file, a broken snapshot chain, a feature not supported. The message
 * names the file and what is wrong with it.
 */
import { SnapferryError } from "../common/errors.js";

export class ImageFormatError extends SnapferryError {
  constructor(
    file: string,
    problem: string,
    hint = "Check that the file is complete and is the disk you meant.",
  ) {
    super("image-format", `${file}: ${problem}`, hint);
  }
}
