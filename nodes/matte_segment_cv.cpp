/* matte_segment_cv.cpp — the `segment` node's glue to OpenCV's DNN module (C++ behind the C
 * interface of matte_segment.h). OpenCV 4.6 ignores an ONNX model's declared input shape, so
 * the shape is read from the file itself with a minimal protobuf walk (ModelProto.graph.input,
 * skipping initializers); a mismatch is reported instead of running a model on a size it was not
 * made for. OpenCV's own logging is silenced (the library never prints); its exceptions become
 * messages naming the model and, for layers it cannot create, the operator. */
#include "matte_segment.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/dnn.hpp>
#include <set>
#include <string>
#include <vector>

struct ysg_seg_model {
  cv::dnn::Net net;
  ysg_seg_shape shape;
  std::string name;
};

namespace {

/* ---- a minimal protobuf reader: enough for ModelProto.graph.input shapes -------------------- */

struct Span {
  const uint8_t *p, *end;
};

bool varint(Span &s, uint64_t &v) {
  v = 0;
  for (int shift = 0; shift < 64 && s.p < s.end; shift += 7) {
    uint8_t b = *s.p++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

/* Next field of a message: its number, wire type and (length-delimited) payload. */
bool field(Span &s, int &num, int &wire, Span &payload, uint64_t &value) {
  uint64_t key;
  if (s.p >= s.end || !varint(s, key)) return false;
  num = (int)(key >> 3), wire = (int)(key & 7);
  payload = {nullptr, nullptr};
  switch (wire) {
    case 0:
      return varint(s, value);
    case 1:
      if (s.end - s.p < 8) return false;
      s.p += 8;
      return true;
    case 2: {
      uint64_t len;
      if (!varint(s, len) || (uint64_t)(s.end - s.p) < len) return false;
      payload = {s.p, s.p + len};
      s.p += len;
      return true;
    }
    case 5:
      if (s.end - s.p < 4) return false;
      s.p += 4;
      return true;
    default:
      return false;
  }
}

/* The first sub-message `num` of m. */
bool sub(Span m, int num, Span &out) {
  int n, w;
  Span pl;
  uint64_t v;
  while (field(m, n, w, pl, v))
    if (n == num && w == 2) {
      out = pl;
      return true;
    }
  return false;
}

/* The first graph input that is not an initializer: its dims (-1: symbolic). */
bool input_dims(const std::vector<uint8_t> &file, std::vector<int64_t> &dims) {
  Span model = {file.data(), file.data() + file.size()}, graph;
  if (!sub(model, 7, graph)) return false;
  std::set<std::string> inits;
  int n, w;
  Span pl;
  uint64_t v;
  for (Span g = graph; field(g, n, w, pl, v);) {
    Span name;
    if (n == 5 && w == 2 && sub(pl, 8, name))
      inits.insert(std::string((const char *)name.p, name.end - name.p));
  }
  for (Span g = graph; field(g, n, w, pl, v);) {
    if (n != 11 || w != 2) continue;
    Span name = {nullptr, nullptr}, type, tensor, shape;
    sub(pl, 1, name);
    if (name.p && inits.count(std::string((const char *)name.p, name.end - name.p))) continue;
    dims.clear();
    if (!sub(pl, 2, type) || !sub(type, 1, tensor) || !sub(tensor, 2, shape)) return true;
    int dn, dw;
    Span dim;
    uint64_t dv;
    for (Span s = shape; field(s, dn, dw, dim, dv);) {
      if (dn != 1 || dw != 2) continue;
      int64_t d = -1;
      int fn, fw;
      Span fp;
      uint64_t fv;
      for (Span e = dim; field(e, fn, fw, fp, fv);)
        if (fn == 1 && fw == 0) d = (int64_t)fv;
      dims.push_back(d);
    }
    return true;
  }
  return false;
}

/* "Node [Einsum@ai.onnx]:(...)" in OpenCV's message: the operator it could not handle. */
std::string op_of(const std::string &msg) {
  size_t a = msg.find("Node [");
  if (a == std::string::npos) return "";
  a += 6;
  size_t b = msg.find_first_of("@]", a);
  return b == std::string::npos ? "" : msg.substr(a, b - a);
}

std::string first_line(std::string s) {
  while (!s.empty() && (s[0] == '>' || s[0] == ' ' || s[0] == '\n')) s.erase(0, 1);
  size_t nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

int fail(char *err, size_t cap, const std::string &msg) {
  std::snprintf(err, cap, "%s", msg.c_str());
  return -1;
}

}  // namespace

extern "C" const char *ysg__seg_opencv_version(void) { return CV_VERSION; }

extern "C" int ysg__seg_open(const char *path, const char *name, int w, int h, ysg_seg_model **out,
                             ysg_seg_shape *shape, char *err, size_t errcap) {
  *out = nullptr;
  std::string model = std::string("model '") + name + "'";
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  std::ifstream f(path, std::ios::binary);
  if (!f) return fail(err, errcap, model + ": cannot open the file");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<int64_t> dims;
  if (!input_dims(bytes, dims))
    return fail(err, errcap, model + " is not an ONNX model (no graph with an input)");
  if (dims.size() != 4)
    return fail(err, errcap,
                model + " takes a " + std::to_string(dims.size()) +
                    "-D input; segment feeds an image as 1×3×H×W");
  if (dims[1] >= 0 && dims[1] != 3)
    return fail(
        err, errcap,
        model + " takes " + std::to_string(dims[1]) + " input channels; segment feeds 3 (R, G, B)");
  int mh = (int)dims[2], mw = (int)dims[3];
  if ((mh >= 0 && h > 0 && h != mh) || (mw >= 0 && w > 0 && w != mw))
    return fail(err, errcap,
                model + " takes a 1×3×" + std::to_string(mh) + "×" + std::to_string(mw) +
                    " input, not the " + std::to_string(w) + "×" + std::to_string(h) +
                    " (width×height) the node sets");
  if (w <= 0) w = mw;
  if (h <= 0) h = mh;
  if (w <= 0 || h <= 0)
    return fail(err, errcap, model + " has no fixed input size: set the node's width and height");
  ysg_seg_model *m = new (std::nothrow) ysg_seg_model;
  if (!m) return fail(err, errcap, "out of memory");
  m->name = name;
  try {
    m->net = cv::dnn::readNetFromONNX(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    m->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    m->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    int sz[4] = {1, 3, h, w};
    cv::Mat blob(4, sz, CV_32F, cv::Scalar(0));
    m->net.setInput(blob);
    cv::Mat o = m->net.forward();
    if (o.dims != 4 || o.size[0] != 1) {
      delete m;
      std::string d;
      for (int i = 0; i < o.dims; i++) d += (i ? "×" : "") + std::to_string(o.size[i]);
      return fail(err, errcap, model + " gives a " + d + " output; segment needs 1×C×H×W");
    }
    m->shape = {3, h, w, o.size[1], o.size[2], o.size[3]};
  } catch (const cv::Exception &e) {
    delete m;
    std::string op = op_of(e.err);
    if (!op.empty() && e.err.find("Can't create layer") != std::string::npos)
      return fail(err, errcap,
                  model + ": operator '" + op + "' is not supported by OpenCV " + CV_VERSION +
                      "'s DNN module");
    if (!op.empty()) {
      size_t why = e.err.rfind("error: ");
      return fail(err, errcap,
                  model + ": OpenCV cannot load its operator '" + op +
                      "': " + first_line(why == std::string::npos ? e.err : e.err.substr(why + 7)));
    }
    return fail(err, errcap, model + " cannot be loaded by OpenCV: " + first_line(e.err));
  } catch (const std::exception &e) {
    delete m;
    return fail(err, errcap, model + " cannot be loaded: " + e.what());
  }
  *shape = m->shape;
  *out = m;
  return 0;
}

extern "C" int ysg__seg_run(ysg_seg_model *m, const float *in, float *out, char *err,
                            size_t errcap) {
  const ysg_seg_shape &s = m->shape;
  try {
    int sz[4] = {1, 3, s.in_h, s.in_w};
    cv::Mat blob(4, sz, CV_32F, const_cast<float *>(in));
    m->net.setInput(blob);
    cv::Mat o = m->net.forward();
    if (o.dims != 4 || o.size[1] != s.out_c || o.size[2] != s.out_h || o.size[3] != s.out_w ||
        o.type() != CV_32F)
      return fail(err, errcap, "model '" + m->name + "' changed its output shape");
    cv::Mat c = o.isContinuous() ? o : o.clone();
    std::memcpy(out, c.ptr<float>(), sizeof(float) * (size_t)s.out_c * s.out_h * s.out_w);
  } catch (const cv::Exception &e) {
    return fail(err, errcap,
                "model '" + m->name + "': OpenCV failed to run it: " + first_line(e.err));
  }
  return 0;
}

extern "C" void ysg__seg_close(ysg_seg_model *m) { delete m; }
