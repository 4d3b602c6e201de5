/**
 * HTML built only through the `html` tag: every interpolated value is escaped unless it is already Html (the
 * output of another `html` call, or markup we generated ourselves and vouch for with `trustedHtml`). Text
 * from the database (DNS names, HTTP hosts, alert messages, file names) is attacker-controlled, so no
 * string ever reaches the page unescaped by accident.
 */
export class Html {
  readonly markup: string;
  constructor(markup: string) {
    this.markup = markup;
  }
  toString(): string {
    return this.markup;
  }
}

type HtmlValue = Html | string | number | null | undefined | readonly HtmlValue[];

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML text or attribute value (quoted); control characters other than tab/newline become U+FFFD. */
export function escapeHtml(text: string): string {
  return (
    text
      .replace(/[&<>"']/g, (c) => ESCAPES[c]!)
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd')
  );
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Markup nta generated itself (the charts' SVG, whose text Vega escapes). Never database text. */
export function trustedHtml(markup: string): Html {
  return new Html(markup);
}
