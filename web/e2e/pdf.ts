// The tests' PDF writer is shared with the measuring tools: tools/pdf.mjs.
export { makePdf } from '../tools/pdf.mjs';
