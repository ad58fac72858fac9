"""The prompt builder behind `ivr prompts build | check`: the catalog into Asterisk sound files, and its check.

Modules: catalog (texts and the deployment values they name), engines (speech synthesis), levels (loudness,
trim, clipping), audio (sox, codec files, validation, atomic writes), studio (recorded overrides, talents), plan
(what each output file is made from), build (the incremental builder and its manifest), check (what is missing,
the fallbacks, the level report), cli (the command line).

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
- Every prompt is decoded by sox, trimmed of silence at both ends and normalised to one loudness (levels), then
  written as .wav (8 kHz mono 16-bit), .alaw, .ulaw and .sln16 beside each other (audio): Asterisk plays the one
  cheapest for the caller's codec. Each file is written under a temporary name, checked, and only then renamed
  into place, the .wav last: a failing engine never leaves an empty or partial prompt.
- Recorded overrides can be made by phone or in the browser (studio): stored with who and when, rebuilt at once.
- A manifest (<out>/.prompts-manifest.json) keeps, per file, a hash of what made it (text and voice, recording
  bytes, or the fallback's hash) and the engine: unchanged files are reused, and a file synthesised offline is
  rebuilt once a better engine is reachable.
"""
