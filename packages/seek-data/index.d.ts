/** Whether this OS has SEEK_DATA/SEEK_HOLE. */
export const supported: boolean;
/** The first offset >= `offset` that holds data, or -1 if only a hole follows. */
export function seekData(fd: number, offset: number): number;
/** The first offset >= `offset` that is in a hole (the file size at the end). */
export function seekHole(fd: number, offset: number): number;
