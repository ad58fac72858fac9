"""The prompt builder behind `ivr prompts build | check`: the catalog into Asterisk sound files, and its check.

Modules: catalog (texts and the deployment values they name), engines (speech synthesis), audio (sox,
validation, atomic writes), plan (what each output file is made from), build (the incremental builder and its
manifest), check (what is missing), cli (the command line).

Rules:
- The catalog is prompts/texts/<lang>.toml: [prompts] (one text per `Prompt` key), [numbers] (the pieces
  `ivr.prompts` composes numbers from), [time] (how this language writes an opening hour) and, for languages
  written in two scripts, [latin] (Amazigh: [prompts] is Tifinagh, [latin] its transcription).
- Texts may name configuration values, filled at build time from the call center (callcenter.config): {digit} (this
  language's menu key), {portal}, {open_time}, {close_time}, {language_change_digit}. Another deployment's
  prompts so follow its own configuration. An unknown placeholder is an error, never spoken as is.
- Where a file comes from, best first: a human recording (prompts/recorded/<lang>/<name>.wav|mp3|ogg|flac),
  synthesis (gTTS when its service answers a quick probe, else espeak-ng offline), or a copy of another
  language's file: the language's `audio_fallback` (Amazigh: no engine speaks it) or, for number pieces, the
  language whose numbers it borrows (`ivr.prompts.NUMBER_RULES_OF`).
- Every file is written under a temporary name, converted to 8 kHz mono 16-bit WAV by sox, checked with the
  wave module and only then renamed into place: a failing engine never leaves an empty or partial prompt.
- A manifest (<out>/.prompts-manifest.json) keeps, per file, a hash of what made it (text and voice, recording
  bytes, or the fallback's hash) and the engine: unchanged files are reused, and a file synthesised offline is
  rebuilt once a better engine is reachable.
"""
