// A QR code drawn as SVG in the client (no outside service): the modules from qrcode-generator,
// one path of unit squares, with the quiet zone of four modules the standard asks for.
import { useMemo } from 'preact/hooks';
import qrcode from 'qrcode-generator';

/** The dark modules of `text` as an SVG path in module units, and the symbol's size. */
export function qrPath(text: string): { size: number; d: string } {
  // M: 15 % of the symbol may be damaged (a scratched screen, a glare) and it still reads.
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  let d = '';
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c} ${r}h1v1h-1z`;
  return { size: n, d };
}

const QUIET = 4;

export function QrCode({ text, label, px = 240 }: { text: string; label: string; px?: number }) {
  const { size, d } = useMemo(() => qrPath(text), [text]);
  const box = size + 2 * QUIET;
  return (
    <svg
      class="qr"
      role="img"
      aria-label={label}
      width={px}
      height={px}
      viewBox={`${-QUIET} ${-QUIET} ${box} ${box}`}
      shape-rendering="crispEdges"
      data-testid="mfa-qr"
    >
      <rect x={-QUIET} y={-QUIET} width={box} height={box} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
