// Digital signatures (ký số, issue 16) in real browsers against the real server, with the
// organisation's seal configured (a PKCS#12 made here with the `openssl` CLI: EC P-256, a
// self-signed certificate for digitalSignature and nonRepudiation; no trust anchors, so every
// signature is valid but not trusted). The demo meeting is held and its record finalised over
// the API; the secretary's tablet shows the biên bản unsigned, the seal waiting for the
// secretary's and the chair's signatures, the chair's "Ký số" saying whose turn it is. The
// secretary signs her block over the API as a PC with a token would (two phases, the key here
// in node:crypto), the chair with the `ecabinet sign` command his tablet shows (a PKCS#12 file),
// and the badges arrive live; the secretary seals
// from the tablet; a member sees the three badges in the list and in the reader. A copy with
// bytes appended after the seal shows "Tài liệu đã bị sửa sau khi ký", a copy with a changed byte
// "Chữ ký không hợp lệ", and that copy uploaded as "bản đã ký" is refused beside the button.
// Every wait is bounded.
import { execFile, execFileSync } from 'node:child_process';
import { createPrivateKey, sign as signBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cspViolations, launchBrowser, outsideRequests, repoRoot, shotOf, signIn, smallTargets, startServer, until, waitText, type Env, type Tablet } from './harness';

const DEMO = 'Phiên họp thường kỳ tháng 11/2026 — UBND xã Cam Thủy';
const SEAL_CN = 'UBND xã Cam Thủy (con dấu thử)';
const SECRETARY_CN = 'Trần Thị Thu';
const CHAIR_CN = 'Nguyễn Văn Hùng';
const SEAL_PASSWORD = 'e2e-seal-password';
const UNTRUSTED = 'Chứng thư số không do tổ chức chứng thực được tin cậy cấp';
/** dd/mm/yyyy HH:mm */
const WHEN = String.raw`\d\d/\d\d/\d{4} \d\d:\d\d`;

interface Holder {
  key: KeyObject;
  /** Base64 DER. */
  cert: string;
}

let work = '';
const env = {} as Env;

/** A self-signed EC P-256 certificate for signing, made with the openssl CLI. */
function makeHolder(name: string, cn: string): { keyFile: string; certFile: string } {
  const keyFile = join(work, `${name}.key`);
  const certFile = join(work, `${name}.crt`);
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '30', '-utf8', '-subj', `/CN=${cn}`,
      '-addext', 'keyUsage=critical,digitalSignature,nonRepudiation',
      '-addext', 'basicConstraints=critical,CA:FALSE',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { keyFile, certFile };
}

/** The same certificate and key in a PKCS#12 file, as the desktop signer reads them. */
function pkcs12(files: { keyFile: string; certFile: string }, name: string, password: string): string {
  const out = join(work, `${name}.p12`);
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', files.keyFile, '-in', files.certFile, '-name', name, '-out', out, '-passout', `pass:${password}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return out;
}

function holder(name: string, cn: string): Holder {
  const { keyFile, certFile } = makeHolder(name, cn);
  const der = execFileSync('openssl', ['x509', '-in', certFile, '-outform', 'DER']);
  return { key: createPrivateKey(readFileSync(keyFile)), cert: der.toString('base64') };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ecabinet-e2e-sign-'));
  const p12 = pkcs12(makeHolder('seal', SEAL_CN), 'seal', SEAL_PASSWORD);
  env.server = await startServer({ env: { ECABINET_SIGNING__KEY_FILE: p12, ECABINET_SEAL_PASSWORD: SEAL_PASSWORD } });
  env.browser = await launchBrowser();
});
afterAll(async () => {
  await env.browser?.close();
  await env.server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

// --- the API, as a PC would use it -------------------------------------------------------

const tokens = new Map<string, { access: string; refresh: string; until: number }>();

/** An access token for a demo account: signed in once, refreshed (20-second tokens here). */
async function token(username: string): Promise<string> {
  const have = tokens.get(username);
  if (have && have.until - Date.now() > 5000) return have.access;
  const r = have
    ? await fetch(`${env.server.base}/api/v1/auth/refresh`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh_token: have.refresh }) })
    : await fetch(`${env.server.base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password: 'demo1234' }) });
  expect(r.status, `sign-in of ${username}`).toBe(200);
  const p = await r.json();
  tokens.set(username, { access: p.access_token, refresh: p.refresh_token, until: Date.now() + p.expires_in * 1000 });
  return p.access_token;
}

async function api(username: string, method: string, path: string, body?: unknown, type = 'application/json') {
  const r = await fetch(`${env.server.base}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${await token(username)}`, ...(body !== undefined ? { 'Content-Type': type } : {}) },
    body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : new Uint8Array(body as Buffer),
  });
  const text = await r.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: r.status, body: json };
}

async function fileBytes(username: string, docId: string, version: number): Promise<Buffer> {
  const r = await fetch(`${env.server.base}/api/v1/documents/${docId}/file?version=${version}`, { headers: { Authorization: `Bearer ${await token(username)}` } });
  expect(r.status).toBe(200);
  return Buffer.from(await r.arrayBuffer());
}

/** The two phases of a signature whose key stays here: prepare, sign `to_sign` (SHA-256, DER), complete. */
async function signBlock(username: string, docId: string, block: string, who: Holder) {
  const started = await api(username, 'POST', `/documents/${docId}/signing`, { certificate_chain: [who.cert], block, reason: 'Ký biên bản' });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const signature = signBytes('sha256', Buffer.from(started.body.to_sign, 'base64'), who.key).toString('base64');
  const done = await api(username, 'POST', `/signings/${started.body.signing_id}/complete`, { signature });
  expect(done.status, JSON.stringify(done.body)).toBe(201);
  return done.body;
}

// --- the tablets --------------------------------------------------------------------------

let meetingId = '';
let minutesId = '';
let secretary: Tablet;
let chair: Tablet;
let member: Tablet;

async function openMeeting(t: Tablet, id = meetingId) {
  await t.page.goto(`/meetings/${id}`);
  await t.page.getByTestId('meeting-title').waitFor();
}

/** The sticky top bar would cross a picture of a part scrolled into view. */
async function unstick(p: Page) {
  await p.evaluate(() => {
    (document.querySelector('.topbar') as HTMLElement).style.position = 'static';
  });
}

/** The biên bản's row in the minutes panel. */
const minutesRow = (p: Page) => p.locator(`[data-testid="minutes-panel"] [data-testid="doc"][data-doc="${minutesId}"]`);
const badgeTexts = (p: Page, scope = minutesRow(p)) => scope.getByTestId('sig-badge').allInnerTexts();

async function badgeCount(p: Page, n: number, scope = minutesRow(p)) {
  await until(`${n} signature badges`, async () => (await scope.getByTestId('sig-badge').count()) === n, 15_000);
}

describe('digital signatures on the tablet', () => {
  it('a finalised biên bản: no badges, the seal waits for the secretary, the chair’s "Ký số" says whose turn it is', async () => {
    const meetings = await api('thuky', 'GET', '/meetings');
    meetingId = meetings.body.meetings.find((m: any) => m.title === DEMO).id;
    expect((await api('chutich', 'POST', `/meetings/${meetingId}/state`, { state: 'live' })).status).toBe(200);
    expect((await api('chutich', 'POST', `/meetings/${meetingId}/state`, { state: 'closed' })).status).toBe(200);
    const fin = await api('thuky', 'POST', `/meetings/${meetingId}/minutes/finalize`, {});
    expect(fin.status, JSON.stringify(fin.body)).toBe(201);
    minutesId = fin.body.minutes_document_id;

    secretary = await signIn(env.browser, env.server.base, 'thuky');
    await openMeeting(secretary);
    const sp = secretary.page;
    await minutesRow(sp).waitFor({ timeout: 15_000 });
    const signing = minutesRow(sp).getByTestId('record-signing');
    await waitText(signing.getByTestId('seal-waiting'), 'Chưa đóng dấu được: thư ký cần ký số trước.');
    expect(await signing.getByRole('button', { name: 'Đóng dấu' }).count()).toBe(0);
    expect(await signing.getByRole('button', { name: 'Ký số' }).count()).toBe(1);
    expect(await minutesRow(sp).getByTestId('sig-badge').count()).toBe(0);

    chair = await signIn(env.browser, env.server.base, 'chutich');
    await openMeeting(chair);
    const cp = chair.page;
    await minutesRow(cp).waitFor({ timeout: 15_000 });
    await minutesRow(cp).getByRole('button', { name: 'Ký số' }).click();
    const help = minutesRow(cp).getByTestId('sign-help');
    await waitText(help, 'Ô chữ ký của bạn: CHỦ TỌA');
    await waitText(help.getByTestId('sign-waiting'), 'Chưa đến lượt bạn: thư ký cần ký số trước.');
    expect(await help.innerText()).toContain(`POST /api/v1/documents/${minutesId}/signing`);
    // The chair does not seal.
    expect(await minutesRow(cp).getByTestId('seal').count()).toBe(0);

    member = await signIn(env.browser, env.server.base, 'uyvien1');
    await openMeeting(member);
    await minutesRow(member.page).waitFor({ timeout: 15_000 });
    expect(await member.page.getByTestId('record-signing').count()).toBe(0);
  });

  it('the secretary’s signature (two phases over the API) and the chair’s (the command his tablet shows) arrive as badges live', async () => {
    const sp = secretary.page;
    const cp = chair.page;
    const first = await signBlock('thuky', minutesId, 'secretary', holder('secretary', SECRETARY_CN));
    expect(first.version).toBe(2);
    for (const p of [sp, cp]) await badgeCount(p, 1);
    const [one] = await badgeTexts(sp);
    expect(one).toMatch(new RegExp(`^! Đã ký số bởi ${SECRETARY_CN}, lúc ${WHEN} · ${UNTRUSTED}$`));
    expect(await minutesRow(sp).getByTestId('sig-badge').first().getAttribute('data-kind')).toBe('untrusted');
    // Now the chair's turn, on the chair's open help; the seal still waits, for the chair.
    await waitText(minutesRow(cp).getByTestId('sign-help'), 'Đã đến lượt bạn ký.');
    expect(await smallTargets(cp)).toEqual([]);
    await unstick(cp);
    await shotOf(minutesRow(cp), 'signatures-chair');
    await waitText(minutesRow(sp).getByTestId('seal-waiting'), 'Chưa đóng dấu được: chủ tọa cần ký số trước.');

    // The chair signs with the command his tablet shows (the desktop signer, a PKCS#12 file).
    const command = (await minutesRow(cp).getByTestId('sign-cli').innerText()).trim();
    expect(command).toBe(`ecabinet sign --server ${env.server.base} --document ${minutesId} --block chair --p12 tep-khoa-ky-so.p12 --username chutich`);
    const chairP12 = pkcs12(makeHolder('chair', CHAIR_CN), 'chair', 'chair-key-password');
    const args = command.split(' ').slice(1).map((a) => (a === 'tep-khoa-ky-so.p12' ? chairP12 : a));
    const bin = process.env.E2E_SERVER_BIN || join(repoRoot, 'target', 'debug', 'ecabinet');
    const run = promisify(execFile)(bin, args, { timeout: 60_000 });
    run.child.stdin!.end('demo1234\nchair-key-password\n');
    expect((await run).stdout).toMatch(/signed: document \S+ is now version 3/);
    for (const p of [sp, cp]) await badgeCount(p, 2);
    await waitText(minutesRow(cp).getByTestId('sign-help'), 'Ô chữ ký này đã được ký.');
    expect((await badgeTexts(cp))[1]).toMatch(new RegExp(`Đã ký số bởi ${CHAIR_CN}, lúc ${WHEN}`));
    expect(await minutesRow(cp).getByTestId('sign-steps').count()).toBe(0);
  });

  it('the secretary seals from the tablet; everyone sees three badges, in the list and in the reader', async () => {
    const sp = secretary.page;
    const seal = minutesRow(sp).getByTestId('seal');
    await seal.getByRole('button', { name: 'Đóng dấu' }).click();
    await waitText(seal, 'Đóng dấu số của cơ quan vào văn bản này?');
    await seal.getByRole('button', { name: 'Đồng ý' }).click();
    await badgeCount(sp, 3);
    await waitText(seal, 'Đã đóng dấu số của cơ quan.');
    expect(await seal.getByTestId('action-error').count()).toBe(0);
    const texts = await badgeTexts(sp);
    expect(texts[2]).toMatch(new RegExp(`^! Đã ký số bởi ${SEAL_CN.replace(/[()]/g, '\\$&')}, lúc ${WHEN} · ${UNTRUSTED}$`));
    // Earlier signatures have later revisions after them: that is not "changed after signing".
    expect(texts.join('\n')).not.toContain('Tài liệu đã bị sửa sau khi ký');
    expect(texts.join('\n')).not.toContain('Chữ ký không hợp lệ');
    expect(await smallTargets(sp)).toEqual([]);
    await unstick(sp);
    await shotOf(sp.getByTestId('record-docs'), 'signatures-sealed');

    // The server agrees: three valid signatures, the last covering the whole file.
    const doc = (await api('uyvien1', 'GET', `/meetings/${meetingId}`)).body.documents.find((d: any) => d.id === minutesId);
    expect(doc.version).toBe(4);
    const sigs = (await api('uyvien1', 'GET', `/documents/${minutesId}/signatures?version=4`)).body;
    expect(sigs.map((s: any) => [s.field, s.valid, s.trusted, s.modified_after])).toEqual([
      ['ThuKy', true, false, true],
      ['ChuToa', true, false, true],
      ['DauCoQuan', true, false, false],
    ]);
    expect(sigs[2].covers_whole_document).toBe(true);

    // A member: the badges in the list, then in the reader.
    const mp = member.page;
    await badgeCount(mp, 3);
    await minutesRow(mp).locator('.doc-open').click();
    const reader = mp.getByTestId('reader');
    await reader.waitFor();
    await until('the reader’s badges', async () => (await reader.getByTestId('sig-badge').count()) === 3, 15_000);
    expect(await reader.getByTestId('sig-badge').allInnerTexts()).toEqual(texts);
  });

  it('a copy changed after the seal and a copy with a broken signature say so; the broken one is refused as "bản đã ký"', async () => {
    const sealed = await fileBytes('thuky', minutesId, 4);
    // Bytes after the last signature.
    const appended = Buffer.concat([sealed, Buffer.from('\n% thêm sau khi ký\n')]);
    // One whitespace byte inside every signature's range changed (the offsets stay the same).
    const broken = Buffer.from(sealed);
    // (The first object's end is in the first revision, which every signature covers.)
    const at = broken.indexOf('endobj') + 6;
    expect(at).toBeGreaterThan(6);
    expect([0x0a, 0x0d, 0x20]).toContain(broken[at]);
    broken[at] = broken[at] === 0x0a ? 0x20 : 0x0a;

    const made = await api('thuky', 'POST', '/meetings', { title: 'Kiểm tra chữ ký số', starts_at: new Date(Date.now() + 86_400_000).toISOString() });
    expect(made.status).toBe(201);
    const other = made.body.id;
    const upA = await api('thuky', 'POST', `/meetings/${other}/documents?title=${encodeURIComponent('Bản bị thêm nội dung')}`, appended, 'application/pdf');
    expect(upA.status, JSON.stringify(upA.body)).toBe(201);
    const upB = await api('thuky', 'POST', `/meetings/${other}/documents?title=${encodeURIComponent('Bản bị sửa một byte')}`, broken, 'application/pdf');
    expect(upB.status, JSON.stringify(upB.body)).toBe(201);

    const sp = secretary.page;
    await openMeeting(secretary, other);
    const row = (id: string) => sp.locator(`.panel.agenda [data-testid="doc"][data-doc="${id}"]`);
    await badgeCount(sp, 4, row(upA.body.id));
    const a = await badgeTexts(sp, row(upA.body.id));
    expect(a.slice(0, 3).every((x) => x.includes('Đã ký số bởi'))).toBe(true);
    expect(a[3]).toBe('✗ Tài liệu đã bị sửa sau khi ký');
    await badgeCount(sp, 3, row(upB.body.id));
    expect(await badgeTexts(sp, row(upB.body.id))).toEqual(['✗ Chữ ký không hợp lệ', '✗ Chữ ký không hợp lệ', '✗ Chữ ký không hợp lệ']);
    // The same in the secretary's console, under each document's row.
    await sp.getByRole('tab', { name: 'Chuẩn bị cuộc họp' }).click();
    const editRow = (id: string) => sp.locator(`[data-testid="doc-edit"][data-doc="${id}"]`);
    await badgeCount(sp, 4, editRow(upA.body.id));
    expect(await badgeTexts(sp, editRow(upA.body.id))).toEqual(a);
    await badgeCount(sp, 3, editRow(upB.body.id));
    await unstick(sp);
    await shotOf(sp.locator('.documents-editor'), 'signatures-console');

    // The chair offers the broken copy as the signed biên bản: refused, said beside the button.
    const cp = chair.page;
    const help = minutesRow(cp).getByTestId('sign-help');
    await help.locator('input[name="signed_file"]').setInputFiles({ name: 'bien-ban-da-ky.pdf', mimeType: 'application/pdf', buffer: broken });
    const err = help.getByTestId('sign-upload-error');
    await err.waitFor({ timeout: 15_000 });
    expect(await err.innerText()).toMatch(/chữ ký|invalid_signature/i);
    expect((await api('thuky', 'GET', `/meetings/${meetingId}`)).body.documents.find((d: any) => d.id === minutesId).version).toBe(4);

    for (const t of [secretary, chair, member]) await t.context.close();
    expect(outsideRequests).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
