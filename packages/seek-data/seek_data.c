/*
 * lseek(SEEK_DATA) and lseek(SEEK_HOLE), which Node's fs does not expose. They let a backup find
 * the allocated parts of a sparse disk image without reading its holes. Where the OS lacks them
 * (Windows), `supported` is false and callers treat the whole file as data.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#ifndef _WIN32
#include <sys/types.h>
#include <unistd.h>
#endif

static napi_value seek(napi_env env, napi_callback_info info, int data) {
  size_t argc = 2;
  napi_value argv[2];
  napi_value result;
  int32_t fd = -1;
  int64_t offset = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int64(env, argv[1], &offset) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected (fd, offset)");
    return NULL;
  }
#if defined(SEEK_DATA) && defined(SEEK_HOLE)
  off_t found = lseek(fd, (off_t)offset, data ? SEEK_DATA : SEEK_HOLE);
  if (found < 0) {
    if (errno == ENXIO) {
      /* No more data (SEEK_DATA) past offset: the rest is a hole. */
      napi_create_int64(env, -1, &result);
      return result;
    }
    char message[128];
    snprintf(message, sizeof message, "lseek failed: %s", strerror(errno));
    napi_throw_error(env, errno == EINVAL ? "EINVAL" : "EIO", message);
    return NULL;
  }
  napi_create_int64(env, (int64_t)found, &result);
  return result;
#else
  (void)data;
  napi_throw_error(env, "ENOTSUP", "SEEK_DATA is not supported on this system");
  return NULL;
#endif
}

static napi_value seek_data(napi_env env, napi_callback_info info) { return seek(env, info, 1); }
static napi_value seek_hole(napi_env env, napi_callback_info info) { return seek(env, info, 0); }

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_value supported;
  napi_create_function(env, "seekData", NAPI_AUTO_LENGTH, seek_data, NULL, &fn);
  napi_set_named_property(env, exports, "seekData", fn);
  napi_create_function(env, "seekHole", NAPI_AUTO_LENGTH, seek_hole, NULL, &fn);
  napi_set_named_property(env, exports, "seekHole", fn);
#if defined(SEEK_DATA) && defined(SEEK_HOLE)
  napi_get_boolean(env, 1, &supported);
#else
  napi_get_boolean(env, 0, &supported);
#endif
  napi_set_named_property(env, exports, "supported", supported);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
