/** See tools/pdf.mjs. */
export function makePdf(pages: number, label: string, opts?: { imageBytes?: number }): Buffer;
