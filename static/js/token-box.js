// The access-token box (templates/_token_box.html), shared by the explorer and the teaching views:
// shown when the API answers 401; the token given is kept for the session (api.js sends it) and
// the refused request is made again.

import { getToken, setToken } from "./api.js";

export class TokenBox {
  /** form: the box; input and message: its password field and its message line. */
  constructor(form, input, message) {
    this.form = form;
    this.input = input;
    this.message = message;
    this.retry = null; // what to do again once a token is given
    form.addEventListener("submit", (event) => this.submit(event));
  }

  /** Show the box; `retry` runs once a token is given. `wrongText` says a token was refused. */
  ask(retry, wrongText) {
    this.retry = retry;
    const wrong = this.form.hidden === false || Boolean(getToken());
    this.form.hidden = false;
    this.message.textContent = wrong ? wrongText : "";
    this.input.focus();
  }

  async submit(event) {
    event.preventDefault();
    const token = this.input.value.trim();
    if (!token) return;
    setToken(token);
    this.form.hidden = true;
    this.input.value = "";
    const retry = this.retry;
    this.retry = null;
    if (retry) await retry();
  }
}
