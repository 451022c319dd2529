/**
 * @module
 * The Emerge engine: model packs, tokenizer, schedulers, the batching step loop,
 * previews and media output. It knows nothing of HTTP.
 */
