/* awq_model.h - the C API of a model library made by awq-compile.
 *
 *   awq-compile model.onnx -o model.so
 *
 * gives a shared library exporting the functions below (and nothing else):
 *
 *   awq_model *model = NULL;
 *   if (awq_model_create(0, &model) != 0) { puts(awq_model_last_error()); ... }
 *   awq_tensor inputs[1] = {{ids, AWQ_I64, 2, {1, n}}}, outputs[1];
 *   if (awq_model_run(model, inputs, 1, outputs, 1) != 0) { ... }
 *   const float *logits = outputs[0].data;   // valid until the next run
 *   awq_model_destroy(model);
 *
 * A model may be created several times (each instance has its own memory);
 * one instance runs on one thread at a time. Nothing aborts: every failure is
 * a non-zero status with a message from awq_model_last_error().
 */
#ifndef AWQ_MODEL_H
#define AWQ_MODEL_H

#include "awq_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct awq_model awq_model;

/* An input or output of the model: dims are -1 where the model leaves them
 * dynamic (e.g. batch and sequence). `name` lives as long as the library. */
typedef struct awq_model_tensor_info {
  const char *name;
  int32_t dtype; /* an awq_dtype */
  int32_t rank;
  int64_t shape[AWQ_MAX_RANK];
} awq_model_tensor_info;

/* Creates an instance. num_threads <= 0 uses every core. The weights stay in
 * the library's read-only data (or the side file it names), mapped lazily by
 * the loader: creating costs no copy of them. */
awq_status awq_model_create(int32_t num_threads, awq_model **model);
void awq_model_destroy(awq_model *model);

/* Message of the last failure on the calling thread. */
const char *awq_model_last_error(void);

int32_t awq_model_num_inputs(const awq_model *model);
int32_t awq_model_num_outputs(const awq_model *model);
/* Fails for an index out of range. */
awq_status awq_model_input_info(const awq_model *model, int32_t index,
                                awq_model_tensor_info *info);
awq_status awq_model_output_info(const awq_model *model, int32_t index,
                                 awq_model_tensor_info *info);

/* Runs the model. inputs: num_inputs descriptors in the model's input order,
 * with the model's dtypes and ranks and its static dims (memory owned by the
 * caller, read only during the call). outputs: num_outputs descriptors the
 * call fills; their data belongs to the instance and stays valid until its
 * next run or destroy. */
awq_status awq_model_run(awq_model *model, const awq_tensor *inputs, int32_t num_inputs,
                         awq_tensor *outputs, int32_t num_outputs);

/* Decoding with a KV cache without moving the cache through the caller.
 *
 * awq_model_carry_output pairs output `output_index` with input
 * `input_index` (same dtype and rank; e.g. "present.0.key" with
 * "past_key_values.0.key"). From then on every successful run keeps that
 * output inside the instance (in GPU memory for a --target=cuda library)
 * instead of returning it: its descriptor gets the dtype and shape but data
 * NULL. The next run reads the kept tensor as the paired input and ignores
 * the caller's descriptor for it (pass any, e.g. the previous one). The first
 * run after pairing, and after awq_model_reset_carried (a new sequence),
 * reads the caller's input as usual. A failed run keeps what was kept before
 * it, unless keeping its own outputs failed (out of memory): then nothing is
 * kept. Fails for an index out of range, an output or input that is already
 * paired, or a dtype, rank or static dimension that differs. */
awq_status awq_model_carry_output(awq_model *model, int32_t output_index, int32_t input_index);
/* Forgets the kept tensors (their memory stays for reuse): the next run reads
 * every input from the caller. */
void awq_model_reset_carried(awq_model *model);

/* The value of the model's metadata entry `key` (the ONNX model's
 * metadata_props), or NULL when it has none. Lives as long as the instance. */
const char *awq_model_metadata(const awq_model *model, const char *key);

/* Bytes the instance holds for intermediates after the runs so far (planned
 * buffers, reused between tensors whose lifetimes do not overlap, and the
 * tensors kept by awq_model_carry_output). */
size_t awq_model_workspace_bytes(const awq_model *model);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AWQ_MODEL_H */
