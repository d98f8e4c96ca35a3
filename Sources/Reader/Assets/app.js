// kb reader: the library, reader, notes and conflicts pages. No build step, no dependencies.
// Offsets are Unicode code points, as everywhere in kb (docs/reader.md).
'use strict';
(function () {
  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));

  /** The number of code points of a string (not UTF-16 units: 𠮷 and emoji count one). */
  function codePoints(text) {
    let count = 0;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) i++;
      }
      count++;
    }
    return count;
  }

  function make(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'html') node.innerHTML = value;
      else if (key.startsWith('data-') || key.startsWith('aria-') || key === 'href' || key === 'type' || key === 'title') node.setAttribute(key, value === true ? '' : value);
      else node[key] = value;
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  async function api(method, path, body) {
    const options = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    if (!response.ok) {
      const failure = new Error((data && data.error) || ('The reader answered ' + response.status + '.'));
      failure.status = response.status;
      throw failure;
    }
    return data;
  }

  let toastTimer = null;
  function toast(message, isError) {
    let node = $('#toast');
    if (!node) {
      node = make('div', { id: 'toast', class: 'toast', role: 'status' });
      document.body.append(node);
    }
    node.textContent = message;
    node.classList.toggle('error', !!isError);
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { node.hidden = true; }, isError ? 7000 : 3000);
  }

  // MARK: Markdown (a safe subset: the text is escaped first, links are http(s) only)

  function escapeHTML(text) {
    return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }

  function inline(text) {
    const codes = [];
    let out = text.replace(/`([^`]+)`/g, (m, code) => { codes.push(code); return '\u0000' + (codes.length - 1) + '\u0000'; });
    out = out
      .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" rel="noopener noreferrer" target="_blank">$1</a>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
      .replace(/__([^_]+)__/g, '<strong>$1</strong>')
      .replace(/\*([^*\s][^*]*)\*/g, '<em>$1</em>')
      .replace(/~~([^~]+)~~/g, '<del>$1</del>');
    return out.replace(/\u0000(\d+)\u0000/g, (m, index) => '<code>' + codes[+index] + '</code>');
  }

  function markdown(source) {
    const out = [];
    let paragraph = [];
    let list = null;
    let code = null;
    let quote = [];
    const flushParagraph = () => { if (paragraph.length) out.push('<p>' + paragraph.map(inline).join('<br>') + '</p>'); paragraph = []; };
    const flushList = () => { if (list) out.push('</' + list + '>'); list = null; };
    const flushQuote = () => { if (quote.length) out.push('<blockquote>' + quote.map(inline).join('<br>') + '</blockquote>'); quote = []; };
    const flushAll = () => { flushParagraph(); flushList(); flushQuote(); };
    for (const line of escapeHTML(source || '').split('\n')) {
      if (code !== null) {
        if (/^```/.test(line)) { out.push('<pre><code>' + code.join('\n') + '</code></pre>'); code = null; } else code.push(line);
        continue;
      }
      let match;
      if (/^```/.test(line)) { flushAll(); code = []; }
      else if ((match = /^(#{1,6})\s+(.*)$/.exec(line))) { flushAll(); const level = Math.min(6, match[1].length + 2); out.push('<h' + level + '>' + inline(match[2]) + '</h' + level + '>'); }
      else if ((match = /^\s*[-*+]\s+(.*)$/.exec(line))) { flushParagraph(); flushQuote(); if (list !== 'ul') { flushList(); out.push('<ul>'); list = 'ul'; } out.push('<li>' + inline(match[1]) + '</li>'); }
      else if ((match = /^\s*\d+[.)]\s+(.*)$/.exec(line))) { flushParagraph(); flushQuote(); if (list !== 'ol') { flushList(); out.push('<ol>'); list = 'ol'; } out.push('<li>' + inline(match[1]) + '</li>'); }
      else if ((match = /^&gt;\s?(.*)$/.exec(line))) { flushParagraph(); flushList(); quote.push(match[1]); }
      else if (/^\s*$/.test(line)) flushAll();
      else { flushList(); flushQuote(); paragraph.push(line); }
    }
    if (code !== null) out.push('<pre><code>' + code.join('\n') + '</code></pre>');
    flushAll();
    return out.join('');
  }

  function stateBadge(state) {
    return make('span', { class: 'state state-' + state, 'data-state-label': state }, state);
  }

  function tagChips(tags, onClick) {
    const box = make('span', { class: 'tags' });
    for (const tag of tags || []) {
      const chip = make('span', { class: 'tag', title: 'Filter by this tag' }, '#' + tag);
      if (onClick) chip.addEventListener('click', (event) => { event.preventDefault(); onClick(tag); });
      box.append(chip, ' ');
    }
    return box;
  }

  function date(milliseconds) {
    const d = new Date(milliseconds);
    const pad = (n) => String(n).padStart(2, '0');
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
  }

  function baseName(path) {
    return (path || '').split('/').pop();
  }

  function queryParams() {
    return new URLSearchParams(location.search);
  }

  function keepInURL(values) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(values)) if (value) params.set(key, value);
    const text = params.toString();
    history.replaceState(null, '', location.pathname + (text ? '?' + text : ''));
  }

  // MARK: Library

  function libraryPage() {
    const form = $('form.filters');
    const input = form.elements.q;
    const tagSelect = form.elements.tag;
    const sourceSelect = form.elements.source;
    const results = $('#results');
    const status = $('#status');
    const more = $('#more');
    const params = queryParams();
    input.value = params.get('q') || '';
    let offset = 0;
    let sequence = 0;
    let timer = null;

    function filters() {
      return { q: input.value.trim(), tag: tagSelect.value, source: sourceSelect.value };
    }

    function setTag(tag) { input.value = ''; ensureOption(tagSelect, tag, '#' + tag); tagSelect.value = tag; refresh(); }
    function setSource(id, path) { input.value = ''; ensureOption(sourceSelect, id, baseName(path)); sourceSelect.value = id; refresh(); }

    function ensureOption(select, value, label) {
      if (!$$('option', select).some((option) => option.value === value)) select.append(make('option', { value }, label));
    }

    function articleItem(item) {
      const info = make('div', { class: 'info' },
        make('span', { class: 'count', 'data-notes': String(item.notes) }, item.notes + (item.notes === 1 ? ' note' : ' notes')),
        make('span', {}, date(item.created_at)));
      if (item.source) {
        const source = make('span', { class: 'source-link', title: 'Show the articles of this page' }, baseName(item.source));
        source.addEventListener('click', () => setSource(item.source_id, item.source));
        info.append(source);
      }
      info.append(tagChips(item.tags, setTag));
      return make('li', { class: 'article-item', 'data-article': item.id },
        make('a', { class: 'title', href: '/read/' + item.id }, item.title || '(untitled)'), info);
    }

    async function loadList(reset) {
      const mine = ++sequence;
      const wanted = filters();
      if (reset) offset = 0;
      const params = new URLSearchParams({ offset: String(offset), limit: '200' });
      if (wanted.tag) params.set('tag', wanted.tag);
      if (wanted.source) params.set('source', wanted.source);
      try {
        const page = await api('GET', '/api/library?' + params);
        if (mine !== sequence) return;
        if (reset) results.replaceChildren();
        for (const item of page.items) results.append(articleItem(item));
        offset = page.offset + page.items.length;
        status.textContent = page.total + (page.total === 1 ? ' article' : ' articles') + ', newest first';
        more.hidden = offset >= page.total;
      } catch (error) { status.textContent = error.message; }
    }

    async function search() {
      const mine = ++sequence;
      const q = input.value.trim();
      try {
        const answer = await api('GET', '/api/search?' + new URLSearchParams({ q, limit: '50' }));
        if (mine !== sequence) return;
        results.replaceChildren();
        more.hidden = true;
        if (answer.error) { status.textContent = answer.error; return; }
        status.textContent = answer.hits.length + (answer.hits.length === 1 ? ' result' : ' results') + ' for ' + q;
        for (const hit of answer.hits) {
          const href = '/read/' + hit.id + (hit.annotation_id ? '?annotation=' + hit.annotation_id : '');
          results.append(make('li', { class: 'hit', 'data-article': hit.id },
            make('a', { class: 'title', href }, hit.title || '(untitled)'),
            make('span', { class: 'meta' }, ' · ' + hit.field),
            make('p', { class: 'snippet', html: hit.snippet_html })));
        }
      } catch (error) { if (mine === sequence) status.textContent = error.message; }
    }

    function refresh() {
      const wanted = filters();
      keepInURL(wanted);
      if (wanted.q) search(); else loadList(true);
    }

    input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(refresh, 120); });
    form.addEventListener('submit', (event) => { event.preventDefault(); refresh(); });
    tagSelect.addEventListener('change', () => { input.value = ''; refresh(); });
    sourceSelect.addEventListener('change', () => { input.value = ''; refresh(); });
    more.addEventListener('click', () => loadList(false));

    api('GET', '/api/facets').then((facets) => {
      for (const tag of facets.article_tags) tagSelect.append(make('option', { value: tag.tag }, '#' + tag.tag + ' (' + tag.count + ')'));
      for (const source of facets.sources) sourceSelect.append(make('option', { value: source.id }, baseName(source.path) + ' (' + source.articles + ')'));
      if (params.get('tag')) { ensureOption(tagSelect, params.get('tag'), '#' + params.get('tag')); tagSelect.value = params.get('tag'); }
      if (params.get('source')) { ensureOption(sourceSelect, params.get('source'), params.get('source')); sourceSelect.value = params.get('source'); }
      refresh();
    }).catch((error) => { status.textContent = error.message; });
  }

  // MARK: Reader

  function readerPage() {
    const data = JSON.parse($('#kb-data').textContent);
    const body = $('[data-kb-body]');
    const points = Array.from(data.body);
    const paragraphs = $$('[data-start]', body).map((node) => {
      const start = +node.dataset.start;
      return { node, start, end: start + codePoints(node.textContent), drawn: false };
    });
    const list = $('#annotation-list');
    const bar = $('#selection-bar');
    const editor = $('#editor');
    const note = $('textarea[name="note"]', editor);
    const tagsInput = $('input[name="tags"]', editor);
    const preview = $('#editor-preview');
    const editorError = $('#editor-error');
    let current = -1;
    let pending = null;
    let editing = null;
    let editingColor = null;
    let lastColor = 'yellow';

    function placed() {
      return data.annotations.filter((a) => a.start !== null && a.start !== undefined && a.end > a.start);
    }

    function sortAnnotations() {
      data.annotations.sort((a, b) => {
        const as = a.start === null || a.start === undefined ? Infinity : a.start;
        const bs = b.start === null || b.start === undefined ? Infinity : b.start;
        return as - bs || (a.end || 0) - (b.end || 0) || a.created_at - b.created_at || (a.id < b.id ? -1 : 1);
      });
    }

    /** Draws every highlight: each paragraph is rebuilt from the body's code points, marks around the ranges. */
    function draw() {
      const marks = placed();
      let first = 0;
      for (const paragraph of paragraphs) {
        while (first < marks.length && marks[first].end <= paragraph.start) first++;
        const here = [];
        for (let i = first; i < marks.length && marks[i].start < paragraph.end; i++) {
          if (marks[i].end > paragraph.start) here.push(marks[i]);
        }
        // Marks sorted by start; one that starts earlier may end later than the next ones.
        for (let i = 0; i < first; i++) if (marks[i].end > paragraph.start && marks[i].start < paragraph.end && !here.includes(marks[i])) here.push(marks[i]);
        drawParagraph(paragraph, here);
      }
      if (current >= 0) markCurrent();
    }

    function drawParagraph(paragraph, marks) {
      if (!marks.length) {
        if (paragraph.drawn) { paragraph.node.textContent = points.slice(paragraph.start, paragraph.end).join(''); paragraph.drawn = false; }
        return;
      }
      const bounds = new Set([paragraph.start, paragraph.end]);
      for (const mark of marks) { bounds.add(Math.max(paragraph.start, mark.start)); bounds.add(Math.min(paragraph.end, mark.end)); }
      const sorted = Array.from(bounds).sort((x, y) => x - y);
      const fragment = document.createDocumentFragment();
      for (let i = 0; i + 1 < sorted.length; i++) {
        const from = sorted[i];
        const to = sorted[i + 1];
        const text = points.slice(from, to).join('');
        let top = null;
        let covering = 0;
        for (const mark of marks) {
          if (mark.start <= from && mark.end >= to) {
            covering++;
            // The innermost highlight is drawn on top: the latest start, then the earliest end.
            if (!top || mark.start > top.start || (mark.start === top.start && mark.end < top.end)) top = mark;
          }
        }
        if (!top) { fragment.append(text); continue; }
        const node = document.createElement('mark');
        node.className = 'kb-hl' + (top.color_class ? ' ' + top.color_class : '') + (top.note ? ' kb-has-note' : '') + (covering > 1 ? ' kb-overlap' : '');
        if (!top.color_class) node.style.backgroundColor = top.css;
        node.dataset.highlight = top.id;
        node.textContent = text;
        fragment.append(node);
      }
      paragraph.node.replaceChildren(fragment);
      paragraph.drawn = true;
    }

    function renderPanel() {
      const items = data.annotations.map((annotation) => {
        const quote = annotation.quote
          ? (annotation.quote.length > 120 ? annotation.quote.slice(0, 120) + '…' : annotation.quote)
          : '(the whole article)';
        const item = make('li', {
          'data-annotation-id': annotation.id, 'data-state': annotation.state,
          'data-start': null, title: annotation.state === 'orphaned' ? 'Its text is no longer in the article; this is the quote it was made on.' : null,
        },
          make('span', { class: 'quote' }, quote), stateBadge(annotation.state),
          annotation.note ? make('div', { class: 'note-text', html: markdown(annotation.note) }) : null,
          tagChips(annotation.tags));
        item.style.borderLeftColor = annotation.css;
        item.addEventListener('click', (event) => {
          if (event.target.closest('a')) return;
          const index = placed().findIndex((a) => a.id === annotation.id);
          if (index >= 0) { current = index; markCurrent(true); }
          openEditor(annotation, false);
        });
        return item;
      });
      list.replaceChildren(...items);
      $('#annotation-count').textContent = data.annotations.length ? '(' + data.annotations.length + ')' : '';
    }

    function markCurrent(scroll) {
      const marks = placed();
      if (!marks.length) { current = -1; return; }
      current = Math.max(0, Math.min(current, marks.length - 1));
      const id = marks[current].id;
      $$('.kb-current').forEach((node) => node.classList.remove('kb-current'));
      $$('mark[data-highlight="' + id + '"]').forEach((node) => node.classList.add('kb-current'));
      const item = $('li[data-annotation-id="' + id + '"]', list);
      if (item) item.classList.add('kb-current');
      if (scroll) {
        const first = $('mark[data-highlight="' + id + '"]');
        if (first) first.scrollIntoView({ block: 'center', behavior: 'smooth' });
        if (item) item.scrollIntoView({ block: 'nearest' });
      }
    }

    /** The code-point offset in the body of a DOM point inside `[data-kb-body]`, or null. */
    function offsetOf(node, offset) {
      if (node === body) {
        const child = body.childNodes[offset];
        if (child && child.dataset && child.dataset.start !== undefined) return +child.dataset.start;
        const last = paragraphs[paragraphs.length - 1];
        return last ? last.end : 0;
      }
      const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
      const paragraph = element && element.closest('[data-start]');
      if (!paragraph || !body.contains(paragraph)) return null;
      const range = document.createRange();
      range.setStart(paragraph, 0);
      range.setEnd(node, offset);
      return +paragraph.dataset.start + codePoints(range.toString());
    }

    /** The selection as a code-point range of the body and its text, whitespace at its ends left out. */
    function selectionRange() {
      const selection = window.getSelection();
      if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
      const range = selection.getRangeAt(0);
      if (!body.contains(range.startContainer) && range.startContainer !== body) return null;
      if (!body.contains(range.endContainer) && range.endContainer !== body) return null;
      let start = offsetOf(range.startContainer, range.startOffset);
      let end = offsetOf(range.endContainer, range.endOffset);
      if (start === null || end === null) return null;
      if (start > end) [start, end] = [end, start];
      while (start < end && /\s/u.test(points[start])) start++;
      while (end > start && /\s/u.test(points[end - 1])) end--;
      if (start >= end) return null;
      return { start, end, quote: points.slice(start, end).join(''), rect: range.getBoundingClientRect() };
    }

    function showBar() {
      const wanted = selectionRange();
      if (!wanted) {
        if (!bar.contains(document.activeElement) && !tools.contains(document.activeElement)) { bar.hidden = true; pending = null; }
        return;
      }
      pending = wanted;
      bar.hidden = false;
      const top = window.scrollY + wanted.rect.top - bar.offsetHeight - 8;
      bar.style.top = Math.max(window.scrollY + 4, top) + 'px';
      bar.style.left = Math.max(4, Math.min(window.scrollX + wanted.rect.left, window.scrollX + document.documentElement.clientWidth - bar.offsetWidth - 4)) + 'px';
    }

    async function highlight(color, focus) {
      const wanted = selectionRange() || pending;
      if (!wanted) { toast('Select text in the article first.'); return null; }
      try {
        const annotation = await api('POST', '/api/articles/' + data.id + '/annotations', {
          start: wanted.start, end: wanted.end, quote: wanted.quote, color: color || lastColor,
        });
        if (color) lastColor = color;
        data.annotations.push(annotation);
        sortAnnotations();
        draw();
        renderPanel();
        bar.hidden = true;
        pending = null;
        const selection = window.getSelection();
        if (selection) selection.removeAllRanges();
        current = placed().findIndex((a) => a.id === annotation.id);
        markCurrent(false);
        openEditor(annotation, focus);
        return annotation;
      } catch (error) {
        toast(error.message, true);
        return null;
      }
    }

    function openEditor(annotation, focus) {
      editing = annotation;
      editingColor = null;
      note.value = annotation.note || '';
      tagsInput.value = (annotation.tags || []).join(', ');
      preview.innerHTML = markdown(note.value);
      editorError.textContent = '';
      const quote = $('#editor-quote');
      quote.textContent = annotation.quote || '(the whole article)';
      quote.style.borderLeftColor = annotation.css;
      $$('[data-action="set-color"]', editor).forEach((button) => button.setAttribute('aria-pressed', String(button.dataset.color === (annotation.color || 'yellow'))));
      editor.hidden = false;
      editor.dataset.annotationEditing = annotation.id;
      if (focus === 'tags') tagsInput.focus();
      else if (focus) note.focus();
    }

    function closeEditor() {
      editor.hidden = true;
      editing = null;
      delete editor.dataset.annotationEditing;
    }

    async function save() {
      if (!editing) return;
      const tags = tagsInput.value.split(/[,，、]/).map((t) => t.trim().replace(/^#/, '')).filter(Boolean);
      const change = { note: note.value, tags };
      if (editingColor) change.color = editingColor;
      try {
        const saved = await api('PUT', '/api/annotations/' + editing.id, change);
        const index = data.annotations.findIndex((a) => a.id === saved.id);
        if (index >= 0) data.annotations[index] = saved;
        draw();
        renderPanel();
        closeEditor();
        toast('Saved.');
      } catch (error) { editorError.textContent = error.message; }
    }

    async function remove() {
      if (!editing) return;
      const id = editing.id;
      try {
        await api('DELETE', '/api/annotations/' + id);
        data.annotations = data.annotations.filter((a) => a.id !== id);
        closeEditor();
        draw();
        renderPanel();
        toast('Deleted.');
      } catch (error) { editorError.textContent = error.message; }
    }

    function move(step) {
      const marks = placed();
      if (!marks.length) return;
      current = current < 0 ? (step > 0 ? 0 : marks.length - 1) : (current + step + marks.length) % marks.length;
      markCurrent(true);
    }

    const tools = $('#tools');
    // The buttons keep the selection: a press on them does not move it or the focus.
    for (const box of [bar, tools]) box.addEventListener('mousedown', (event) => event.preventDefault());
    tools.addEventListener('click', (event) => {
      const button = event.target.closest('button');
      if (!button) return;
      if (button.dataset.action === 'highlight') highlight(null, false);
      else if (button.dataset.action === 'note') highlight(null, true);
    });
    bar.addEventListener('click', (event) => {
      const button = event.target.closest('button');
      if (!button) return;
      const action = button.dataset.action;
      if (action === 'highlight') highlight(null, false);
      else if (action === 'highlight-color') highlight(button.dataset.color, false);
      else if (action === 'note') highlight(null, true);
      else if (action === 'tag') highlight(null, 'tags');
    });
    editor.addEventListener('click', (event) => {
      const button = event.target.closest('button');
      if (!button) return;
      const action = button.dataset.action;
      if (action === 'save') save();
      else if (action === 'delete') remove();
      else if (action === 'cancel') closeEditor();
      else if (action === 'set-color') {
        editingColor = button.dataset.color;
        $$('[data-action="set-color"]', editor).forEach((b) => b.setAttribute('aria-pressed', String(b === button)));
      }
    });
    note.addEventListener('input', () => { preview.innerHTML = markdown(note.value); });
    note.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); save(); }
    });
    body.addEventListener('click', (event) => {
      const mark = event.target.closest('mark[data-highlight]');
      if (!mark) return;
      const selection = window.getSelection();
      if (selection && !selection.isCollapsed) return;
      const annotation = data.annotations.find((a) => a.id === mark.dataset.highlight);
      if (!annotation) return;
      current = placed().findIndex((a) => a.id === annotation.id);
      markCurrent(false);
      openEditor(annotation, true);
    });
    let selectionTimer = null;
    document.addEventListener('selectionchange', () => { clearTimeout(selectionTimer); selectionTimer = setTimeout(showBar, 30); });
    document.addEventListener('mouseup', () => setTimeout(showBar, 0));
    document.addEventListener('keydown', (event) => {
      const target = event.target;
      if (event.key === 'Escape') { closeEditor(); bar.hidden = true; return; }
      if (target && (target.closest('input, textarea, select, [contenteditable]'))) return;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === 'h') { event.preventDefault(); highlight(null, false); }
      else if (event.key === 'n') {
        event.preventDefault();
        if (selectionRange()) highlight(null, true);
        else if (current >= 0 && placed()[current]) openEditor(placed()[current], true);
        else toast('Select text, or move to a highlight with j/k, to write a note.');
      } else if (event.key === 'j') { event.preventDefault(); move(1); }
      else if (event.key === 'k') { event.preventDefault(); move(-1); }
    });

    sortAnnotations();
    draw();
    renderPanel();
    const wanted = queryParams().get('annotation') || (location.hash.startsWith('#annotation-') ? location.hash.slice(12) : null);
    if (wanted) {
      const index = placed().findIndex((a) => a.id === wanted || a.id.startsWith(wanted));
      if (index >= 0) { current = index; markCurrent(true); }
      else {
        const item = $$('li[data-annotation-id]', list).find((node) => node.dataset.annotationId.startsWith(wanted));
        if (item) { item.classList.add('kb-current'); item.scrollIntoView({ block: 'nearest' }); }
      }
    }
    // When the page was drawn, from the start of navigation (read by Benchmarks/reader_draw.py).
    document.body.dataset.drawnMs = performance.now().toFixed(1);
    document.body.dataset.ready = 'true';
  }

  // MARK: Notes

  function notesPage() {
    const form = $('form.filters');
    const results = $('#results');
    const status = $('#status');
    const more = $('#more');
    const params = queryParams();
    let offset = 0;
    let sequence = 0;

    function item(annotation) {
      const href = '/read/' + annotation.article_id + '?annotation=' + annotation.id;
      const quote = make('blockquote', {}, annotation.quote || '(the whole article)');
      quote.style.borderLeftColor = annotation.css;
      return make('li', { 'data-annotation-id': annotation.id, 'data-state': annotation.state },
        quote,
        annotation.note ? make('div', { class: 'note-text', html: markdown(annotation.note) }) : null,
        make('div', { class: 'meta' },
          make('a', { href }, annotation.article_title || annotation.article_id.slice(0, 8)), ' ',
          stateBadge(annotation.state), ' ', date(annotation.created_at), ' ',
          tagChips(annotation.tags, (tag) => { form.elements.tag.value = tag; load(true); }),
          make('span', { class: 'id' }, ' ' + annotation.short)));
    }

    async function load(reset) {
      const mine = ++sequence;
      if (reset) offset = 0;
      const tag = form.elements.tag.value;
      const state = form.elements.state.value;
      keepInURL({ tag, state });
      const query = new URLSearchParams({ offset: String(offset), limit: '200' });
      if (tag) query.set('tag', tag);
      if (state) query.set('state', state);
      try {
        const page = await api('GET', '/api/notes?' + query);
        if (mine !== sequence) return;
        if (reset) results.replaceChildren();
        for (const annotation of page.items) results.append(item(annotation));
        offset = page.offset + page.items.length;
        status.textContent = page.total + (page.total === 1 ? ' annotation' : ' annotations') + ', newest first';
        more.hidden = offset >= page.total;
      } catch (error) { status.textContent = error.message; }
    }

    form.addEventListener('change', () => load(true));
    more.addEventListener('click', () => load(false));
    api('GET', '/api/facets').then((facets) => {
      for (const tag of facets.annotation_tags) form.elements.tag.append(make('option', { value: tag.tag }, '#' + tag.tag + ' (' + tag.count + ')'));
      if (params.get('tag')) {
        if (!$$('option', form.elements.tag).some((o) => o.value === params.get('tag'))) form.elements.tag.append(make('option', { value: params.get('tag') }, '#' + params.get('tag')));
        form.elements.tag.value = params.get('tag');
      }
      if (params.get('state')) form.elements.state.value = params.get('state');
      load(true);
    }).catch((error) => { status.textContent = error.message; });
  }

  // MARK: Conflicts

  function conflictsPage() {
    const results = $('#results');
    const status = $('#status');

    function side(label, value) {
      return make('div', {}, make('strong', {}, label), make('pre', {}, value === null || value === undefined ? '(none)' : value));
    }

    async function load() {
      try {
        const conflicts = await api('GET', '/api/conflicts');
        results.replaceChildren();
        status.textContent = conflicts.length ? conflicts.length + ' open conflict' + (conflicts.length === 1 ? '' : 's') : 'No open conflicts.';
        for (const conflict of conflicts) {
          const actions = make('div', { class: 'actions' });
          for (const keep of ['mine', 'theirs', 'both']) {
            const button = make('button', { type: 'button', 'data-action': 'keep-' + keep }, 'Keep ' + keep);
            button.addEventListener('click', async () => {
              try {
                await api('POST', '/api/conflicts/' + conflict.id + '/resolve', { keep });
                toast('Resolved, keeping ' + keep + '; a sync carries it to your other machines.');
                load();
              } catch (error) { toast(error.message, true); }
            });
            actions.append(button);
          }
          const link = conflict.entity === 'article' ? make('a', { href: '/read/' + conflict.entity_id }, conflict.entity_id.slice(0, 8)) : conflict.entity_id.slice(0, 8);
          results.append(make('li', { 'data-conflict-id': conflict.id },
            make('div', { class: 'meta' }, conflict.entity + ' ', link, ' · ' + conflict.field + (conflict.kind === 'delete' ? ' · deleted on one side, changed on the other' : '')),
            make('div', { class: 'sides' }, side('Mine', conflict.mine), side('Theirs', conflict.theirs), side('Base', conflict.base)),
            actions));
        }
      } catch (error) { status.textContent = error.message; }
    }

    // The sync runs in the reader; the page asks how far it is until it ends: each step (pushing n/N,
    // applying, pulling n/N) in the line beside the button and the bar, then the result.
    const section = $('#sync');
    const button = $('[data-action="sync"]', section);
    const progress = $('#sync-progress');
    const result = $('#sync-result');
    const steps = $('#sync-steps');
    function showSync(state) {
      if (state.done !== null && state.done !== undefined && state.total) {
        progress.max = state.total;
        progress.value = Math.min(state.done, state.total);
      } else {
        progress.removeAttribute('value');
      }
      steps.replaceChildren(...state.steps.map((step) => make('li', {}, step)));
      progress.hidden = !state.running;
      button.disabled = state.running;
      section.dataset.state = state.running ? 'running' : (state.result ? (state.result.ok ? 'done' : 'failed') : 'idle');
      if (state.running) result.textContent = state.step || 'Syncing…';
      else if (state.result) result.textContent = state.result.message;
    }
    async function follow() {
      for (;;) {
        let state;
        try { state = await api('GET', '/api/sync'); } catch (error) { result.textContent = error.message; break; }
        showSync(state);
        if (!state.running) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      button.disabled = false;
      progress.hidden = true;
      load();
    }
    api('GET', '/api/sync').then((answer) => {
      if (!answer.remotes.length) return;
      section.hidden = false;
      button.textContent = 'Sync with ' + answer.remotes.join(', ');
      if (answer.running) { showSync(answer); follow(); }
      button.addEventListener('click', async () => {
        button.disabled = true;
        progress.hidden = false;
        result.textContent = 'Syncing…';
        try {
          showSync(await api('POST', '/api/sync'));
        } catch (error) {
          result.textContent = error.message;
          button.disabled = false;
          progress.hidden = true;
          return;
        }
        follow();
      });
    }).catch(() => {});
    load();
  }

  const page = document.body.dataset.page;
  if (page === 'library') libraryPage();
  else if (page === 'reader') readerPage();
  else if (page === 'notes') notesPage();
  else if (page === 'conflicts') conflictsPage();
})();
