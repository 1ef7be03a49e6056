/**
 * A small Markdown → HTML renderer for notebook prose: headings, paragraphs, lists (one level,
 * ordered or not), block quotes, fenced and indented code, horizontal rules, and inline code,
 * **bold**, *italic* and [links](url). Everything else is text, escaped. Enough for notebooks and no
 * dependency; raw HTML in the Markdown is shown as text, so a notebook cannot inject markup or script.
 */

const ESC: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}

/** Escape text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c])
}

/** A heading's anchor: lower case, words joined by '-'. */
export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'section'
}

/** Links may only point at http(s), mailto, relative paths or anchors (no javascript: URLs). */
function safeUrl(url: string): string | null {
  const u = url.trim()
  if (/^(https?:|mailto:)/i.test(u) || /^[#./a-z0-9_-]/i.test(u) && !/^[a-z][a-z0-9+.-]*:/i.test(u)) return u
  return null
}

/** Inline Markdown: code spans first (their content is literal), then links, bold and italic. */
export function renderInline(text: string): string {
  const out: string[] = []
  let i = 0
  while (i < text.length) {
    const tick = text.indexOf('`', i)
    if (tick < 0) {
      out.push(inlineText(text.slice(i)))
      break
    }
    let run = 1
    while (text[tick + run] === '`') run++
    const fence = '`'.repeat(run)
    const end = text.indexOf(fence, tick + run)
    if (end < 0) {
      out.push(inlineText(text.slice(i)))
      break
    }
    out.push(inlineText(text.slice(i, tick)))
    out.push(`<code>${escapeHtml(text.slice(tick + run, end).trim())}</code>`)
    i = end + run
  }
  return out.join('')
}

function inlineText(s: string): string {
  let h = escapeHtml(s)
  // [text](url): the text was escaped; the url is checked and escaped
  h = h.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (m, t: string, u: string) => {
    const url = safeUrl(u.replace(/&amp;/g, '&'))
    return url === null ? m : `<a href="${escapeHtml(url)}">${t}</a>`
  })
  h = h.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
  h = h.replace(/(^|[^*\w])\*([^*\s][^*]*?)\*(?![*\w])/g, '$1<em>$2</em>')
  h = h.replace(/(^|[^_\w])_([^_\s][^_]*?)_(?![_\w])/g, '$1<em>$2</em>')
  return h
}

/**
 * Block Markdown. `headingOffset` shifts heading levels (a notebook's `#` becomes `<h2>` inside a
 * combined report); `idPrefix` makes heading anchors unique across notebooks.
 */
export function renderMarkdown(md: string, opts: {headingOffset?: number; idPrefix?: string} = {}): string {
  const lines = md.replace(/\r\n?/g, '\n').split('\n')
  const out: string[] = []
  const off = opts.headingOffset ?? 0
  const prefix = opts.idPrefix ?? ''
  let para: string[] = []
  let list: {ordered: boolean; items: string[]} | null = null
  let quote: string[] = []

  const flushPara = (): void => {
    if (para.length) out.push(`<p>${renderInline(para.join(' '))}</p>`)
    para = []
  }
  const flushList = (): void => {
    if (list) {
      const tag = list.ordered ? 'ol' : 'ul'
      out.push(`<${tag}>${list.items.map((it) => `<li>${renderInline(it)}</li>`).join('')}</${tag}>`)
    }
    list = null
  }
  const flushQuote = (): void => {
    if (quote.length) out.push(`<blockquote>${renderMarkdown(quote.join('\n'), opts)}</blockquote>`)
    quote = []
  }
  const flushAll = (): void => {
    flushPara()
    flushList()
    flushQuote()
  }

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const fence = /^(`{3,}|~{3,})\s*([^`\s]*)/.exec(line)
    if (fence) {
      flushAll()
      const body: string[] = []
      let j = i + 1
      while (j < lines.length && !lines[j].startsWith(fence[1])) body.push(lines[j++])
      const lang = fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : ''
      out.push(`<pre><code${lang}>${escapeHtml(body.join('\n'))}</code></pre>`)
      i = j
      continue
    }
    if (/^>\s?/.test(line)) {
      flushPara()
      flushList()
      quote.push(line.replace(/^>\s?/, ''))
      continue
    }
    flushQuote()
    if (line.trim() === '') {
      flushPara()
      flushList()
      continue
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line)
    if (h) {
      flushAll()
      const level = Math.min(6, h[1].length + off)
      out.push(`<h${level} id="${escapeHtml(prefix + slug(h[2]))}">${renderInline(h[2])}</h${level}>`)
      continue
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flushAll()
      out.push('<hr>')
      continue
    }
    const li = /^\s{0,3}([-*+]|\d+[.)])\s+(.*)$/.exec(line)
    if (li) {
      flushPara()
      const ordered = /\d/.test(li[1])
      if (list && list.ordered !== ordered) flushList()
      if (!list) list = {ordered, items: []}
      list.items.push(li[2])
      continue
    }
    if (list && /^\s+\S/.test(line)) {
      // continuation of the last list item
      list.items[list.items.length - 1] += ' ' + line.trim()
      continue
    }
    if (/^ {4}/.test(line) && para.length === 0) {
      flushList()
      const body: string[] = []
      let j = i
      while (j < lines.length && (/^ {4}/.test(lines[j]) || lines[j].trim() === '')) body.push(lines[j++].slice(4))
      while (body.length && body[body.length - 1].trim() === '') body.pop()
      out.push(`<pre><code>${escapeHtml(body.join('\n'))}</code></pre>`)
      i = j - 1
      continue
    }
    flushList()
    para.push(line.trim())
  }
  flushAll()
  return out.join('\n')
}
