/**
 * Saves text as a file the way a browser does (a Blob behind a temporary link), so exports work
 * the same in the app and over the loopback bridge without giving the renderer file access.
 */
export function downloadText(fileName: string, text: string, type = "text/plain"): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.style.display = "none";
  document.body.append(link);
  link.click();
  link.remove();
  // The click has started the download; the URL would otherwise hold the text until the window closes.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
