/** The tool version recorded in every restore point. Kept in step with package.json by a test. */
export const TOOL_VERSION = "0.1.0";
export const TOOL_NAME = `snapferry ${TOOL_VERSION}`;
