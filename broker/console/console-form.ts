// A console form: POST to a console path, always carrying the CSRF token (csrf-guard.ts).
import { CSRF_FIELD } from './csrf-guard.js';
import { html, type Html, type HtmlValue } from './html.js';

export function consoleForm(
  action: string,
  token: string,
  fields: HtmlValue,
  button: string,
  options: { id?: string; danger?: boolean; inline?: boolean } = {},
): Html {
  return html`<form
    method="post"
    action="${action}"
    ${options.id === undefined ? '' : html` id="${options.id}"`}${options.inline === true ? html` class="inline"` : ''}
  >
    <input type="hidden" name="${CSRF_FIELD}" value="${token}" />${fields}<button
      type="submit"
      ${options.danger === true ? html` class="danger"` : ''}
    >
      ${button}
    </button>
  </form>`;
}

export function hiddenField(name: string, value: string | number): Html {
  return html`<input type="hidden" name="${name}" value="${value}" />`;
}

export function textField(
  label: string,
  name: string,
  value = '',
  extra: { required?: boolean; type?: string } = {},
): Html {
  return html`<label
    >${label}
    <input
      name="${name}"
      type="${extra.type ?? 'text'}"
      value="${value}"
      ${extra.required === true ? html` required` : ''}
  /></label> `;
}
