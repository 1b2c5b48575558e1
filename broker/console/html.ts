// HTML built so that every interpolated value is escaped unless it is already Html (made by
// this template): topic names, message bodies and properties cannot become markup.
const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Markup known to be safe: built by `html` or `rawHtml` only. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | boolean | undefined | null | readonly HtmlValue[];

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ESCAPES[character]!);
}

function render(value: HtmlValue): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value as string | number | boolean));
}

/** A template whose every `${value}` is escaped (arrays joined, Html kept as is). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let text = strings[0]!;
  values.forEach((value, index) => (text += render(value) + strings[index + 1]!));
  return new Html(text);
}

/** Constant markup written in this code (the stylesheet, generated SVG numbers). */
export function rawHtml(text: string): Html {
  return new Html(text);
}
