/* params.c — parameter values: parsing text in each kind's syntax (the one parser behind defaults,
 * --set and string values from Lua), range checks, colours ("#rrggbb[aa]" sRGB -> linear) and the
 * names used in messages. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "internal.h"

const char *ysg__param_kind_name(ysg_param_kind k) {
  static const char *const names[] = {"number", "int",  "bool",   "string",  "enum",
                                      "color",  "path", "output", "numbers", "map"};
  return (unsigned)k < YSG_PARAM_KIND_COUNT ? names[k] : "?";
}

const char *ysg__value_type_name(ysg_value_type t) {
  static const char *const names[] = {"points", "edges", "curves", "boxes", "image", "shapes"};
  return (unsigned)t < YSG_VALUE_TYPE_COUNT ? names[t] : "?";
}

int ysg__enum_index(const char *choices, const char *s) {
  size_t len = strlen(s);
  int idx = 0;
  for (const char *c = choices; *c;) {
    const char *bar = strchr(c, '|');
    size_t n = bar ? (size_t)(bar - c) : strlen(c);
    if (n == len && strncmp(c, s, n) == 0) return idx;
    idx++;
    if (!bar) break;
    c = bar + 1;
  }
  return -1;
}

void ysg__srgb_to_linear_rgba(const float srgb[4], float lin[4]) {
  for (int i = 0; i < 3; i++) lin[i] = ysg_srgb_to_linear(ysg_clamp01(srgb[i]));
  lin[3] = ysg_clamp01(srgb[3]);
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int ysg__parse_color(const char *text, float rgba[4]) {
  size_t n = strlen(text);
  if (text[0] != '#' || (n != 7 && n != 9)) return 0;
  float srgb[4] = {0, 0, 0, 1};
  for (size_t i = 0; i < (n - 1) / 2; i++) {
    int hi = hexval((unsigned char)text[1 + 2 * i]), lo = hexval((unsigned char)text[2 + 2 * i]);
    if (hi < 0 || lo < 0) return 0;
    srgb[i] = (float)(hi * 16 + lo) / 255.0f;
  }
  ysg__srgb_to_linear_rgba(srgb, rgba);
  return 1;
}

ysg_status ysg__param_check_number(const ysg_param_def *def, double x, char *err, size_t errcap) {
  if (!isfinite(x)) {
    snprintf(err, errcap, "expected a finite number, got %s",
             isnan(x) ? "NaN"
             : x > 0  ? "inf"
                      : "-inf");
    return YSG_ERR_PIPELINE;
  }
  if (def->kind == YSG_PARAM_INT && x != floor(x)) {
    snprintf(err, errcap, "expected an integer, got %.17g", x);
    return YSG_ERR_PIPELINE;
  }
  if (def->min != def->max && (x < def->min || x > def->max)) {
    snprintf(err, errcap, "expected %s in %.17g..%.17g, got %.17g",
             def->kind == YSG_PARAM_INT ? "an integer" : "a number", def->min, def->max, x);
    return YSG_ERR_PIPELINE;
  }
  return YSG_OK;
}

const char *ysg__number_text(double x, char *buf, size_t cap) {
  snprintf(buf, cap, "%.14g", x);
  return buf;
}

ysg_status ysg__param_from_number(ysg_context *ctx, const ysg_param_def *def, double x,
                                  ysg_param_value *v, char *err, size_t errcap) {
  if (def->kind == YSG_PARAM_ENUM) { /* numeric choices, such as png's bits = 16 */
    char text[64];
    return ysg__param_parse(ctx, def, ysg__number_text(x, text, sizeof text), v, err, errcap);
  }
  if (def->kind != YSG_PARAM_NUMBER && def->kind != YSG_PARAM_INT && def->kind != YSG_PARAM_BOOL) {
    snprintf(
        err, errcap, "expected %s, got a number",
        def->kind == YSG_PARAM_COLOR ? "a colour (\"#rrggbb[aa]\" or {r,g,b[,a]})" : "a string");
    return YSG_ERR_PIPELINE;
  }
  ysg_status s = ysg__param_check_number(def, x, err, errcap);
  if (!s) v->num = x;
  return s;
}

void ysg__param_free(ysg_context *ctx, ysg_param_value *v) {
  ysg__free(ctx, v->str);
  ysg__free(ctx, v->resolved);
  v->str = v->resolved = NULL;
}

ysg_status ysg__param_set_string(ysg_context *ctx, ysg_param_value *v, const char *s) {
  char *d = ysg__strdup(ctx, s);
  if (!d) return YSG_ERR_NOMEM;
  ysg__free(ctx, v->str);
  ysg__free(ctx, v->resolved);
  v->resolved = NULL;
  v->str = d;
  return YSG_OK;
}

int ysg__numbers_parse(const char *text, double *out, int cap) {
  int n = 0;
  for (const char *s = text; s && *s;) {
    char *end = NULL;
    double x = strtod(s, &end);
    if (end == s) return -1;
    if (n < cap) out[n] = x;
    n++;
    while (isspace((unsigned char)*end)) end++;
    if (*end == ',') {
      s = end + 1;
      if (!*s) return -1; /* a trailing comma */
    } else if (*end) {
      return -1;
    } else {
      s = end;
    }
  }
  return n;
}

/* text of [s, e) into buf (cut to cap) */
static void copy_span(const char *s, const char *e, char *buf, size_t cap) {
  size_t len = (size_t)(e - s);
  if (!cap) return;
  if (len >= cap) len = cap - 1;
  memcpy(buf, s, len);
  buf[len] = 0;
}

int ysg__map_entry(const char *text, int i, char *name, size_t name_cap, char *val,
                   size_t val_cap) {
  const char *s = text ? text : "";
  for (int k = 0; *s; k++) {
    const char *e = strchr(s, ',');
    if (!e) e = s + strlen(s);
    const char *eq = memchr(s, '=', (size_t)(e - s));
    if (k == i) {
      if (!eq) return 0;
      copy_span(s, eq, name, name_cap);
      copy_span(eq + 1, e, val, val_cap);
      return 1;
    }
    s = *e ? e + 1 : e;
  }
  return 0;
}

/* "name=text,..." with names of letters, digits and _ and non-empty texts without ',' or '=' */
static int map_check(const char *text, char *err, size_t errcap) {
  const char *s = text;
  while (*s) {
    const char *e = strchr(s, ',');
    if (!e) e = s + strlen(s);
    const char *eq = memchr(s, '=', (size_t)(e - s));
    if (!eq || eq == s || eq + 1 == e || memchr(eq + 1, '=', (size_t)(e - eq - 1))) {
      snprintf(err, errcap, "expected name=text pairs separated by commas, got '%s'", text);
      return 0;
    }
    for (const char *q = s; q < eq; q++)
      if (!isalnum((unsigned char)*q) && *q != '_') {
        snprintf(err, errcap, "'%.*s' is not a name (letters, digits and _)", (int)(eq - s), s);
        return 0;
      }
    s = *e ? e + 1 : e;
    if (*e && !*s) {
      snprintf(err, errcap, "expected name=text pairs separated by commas, got '%s'", text);
      return 0;
    }
  }
  return 1;
}

ysg_status ysg__param_parse(ysg_context *ctx, const ysg_param_def *def, const char *text,
                            ysg_param_value *v, char *err, size_t errcap) {
  switch (def->kind) {
    case YSG_PARAM_NUMBER:
    case YSG_PARAM_INT: {
      char *end = NULL;
      double x = strtod(text, &end);
      while (end && isspace((unsigned char)*end)) end++;
      if (!text[0] || !end || *end) {
        snprintf(err, errcap, "expected %s, got '%s'",
                 def->kind == YSG_PARAM_INT ? "an integer" : "a number", text);
        return YSG_ERR_PIPELINE;
      }
      ysg_status s = ysg__param_check_number(def, x, err, errcap);
      if (s) return s;
      v->num = x;
      return YSG_OK;
    }
    case YSG_PARAM_BOOL:
      if (!strcmp(text, "true") || !strcmp(text, "1") || !strcmp(text, "yes"))
        v->num = 1;
      else if (!strcmp(text, "false") || !strcmp(text, "0") || !strcmp(text, "no"))
        v->num = 0;
      else {
        snprintf(err, errcap, "expected true or false, got '%s'", text);
        return YSG_ERR_PIPELINE;
      }
      return YSG_OK;
    case YSG_PARAM_ENUM: {
      int idx = ysg__enum_index(def->choices, text);
      if (idx < 0) {
        snprintf(err, errcap, "expected one of %s, got '%s'", def->choices, text);
        return YSG_ERR_PIPELINE;
      }
      v->num = idx;
      break; /* keep the text too */
    }
    case YSG_PARAM_COLOR:
      if (!ysg__parse_color(text, v->rgba)) {
        snprintf(err, errcap, "expected a colour \"#rrggbb\" or \"#rrggbbaa\", got '%s'", text);
        return YSG_ERR_PIPELINE;
      }
      return YSG_OK;
    case YSG_PARAM_NUMBERS: {
      double x[8];
      int k = ysg__numbers_parse(text, x, 8);
      if (k < 1 || k > YSG_NUMBERS_MAX) {
        snprintf(err, errcap, "expected 1 to %d numbers separated by commas, got '%s'",
                 YSG_NUMBERS_MAX, text);
        return YSG_ERR_PIPELINE;
      }
      for (int i = 0; i < k; i++) {
        ysg_status s = ysg__param_check_number(def, x[i], err, errcap);
        if (s) return s;
      }
      v->num = x[0];
      break; /* the text holds the list */
    }
    case YSG_PARAM_MAP:
      if (!map_check(text, err, errcap)) return YSG_ERR_PIPELINE;
      break;
    case YSG_PARAM_PATH:
    case YSG_PARAM_OUTPUT:
      if (!text[0]) {
        snprintf(err, errcap, "expected a file path, got an empty string");
        return YSG_ERR_PIPELINE;
      }
      break;
    case YSG_PARAM_STRING:
    default:
      break;
  }
  if (ysg__param_set_string(ctx, v, text) != YSG_OK) {
    snprintf(err, errcap, "out of memory");
    return YSG_ERR_NOMEM;
  }
  return YSG_OK;
}
