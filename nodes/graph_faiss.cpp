/* graph_faiss.cpp — the few entry points of FAISS's C API that the graph node's FAISS backend
 * calls (nodes/graph.c: flat L2 knn and range search), compiled here against the C++ library
 * because Debian's libfaiss-dev ships the C API headers (faiss/c_api/…) but not their
 * implementation. The signatures are the official headers' (included below, so the compiler checks
 * them); like FAISS's own c_api, exceptions become a non-zero return and a message kept for
 * faiss_get_last_error. Built only when CMake finds FAISS. */
#include <faiss/IndexFlat.h>
#include <faiss/impl/FaissException.h>
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/impl/AuxIndexStructures_c.h>
#include <faiss/impl/AuxIndexStructures.h>

#include <exception>
#include <string>

namespace {

thread_local std::string last_error;

/* FAISS's codes (faiss/c_api/error_c.h): -2 FAISS exception, -4 standard exception, -1 other. */
template <class F>
int guarded(F f) {
  try {
    f();
    return 0;
  } catch (const faiss::FaissException &e) {
    last_error = e.what();
    return FAISS_EXCEPT;
  } catch (const std::exception &e) {
    last_error = e.what();
    return STD_EXCEPT;
  } catch (...) {
    last_error = "unknown exception";
    return UNKNOWN_EXCEPT;
  }
}

faiss::Index *cpp(FaissIndex *index) { return reinterpret_cast<faiss::Index *>(index); }
const faiss::Index *cpp(const FaissIndex *index) {
  return reinterpret_cast<const faiss::Index *>(index);
}

faiss::RangeSearchResult *rsr(FaissRangeSearchResult *r) {
  return reinterpret_cast<faiss::RangeSearchResult *>(r);
}

}  // namespace

extern "C" {

const char *faiss_get_last_error() { return last_error.empty() ? nullptr : last_error.c_str(); }

int faiss_IndexFlatL2_new_with(FaissIndexFlatL2 **p_index, idx_t d) {
  return guarded(
      [&] { *p_index = reinterpret_cast<FaissIndexFlatL2 *>(new faiss::IndexFlatL2(d)); });
}

int faiss_Index_add(FaissIndex *index, idx_t n, const float *x) {
  return guarded([&] { cpp(index)->add(n, x); });
}

int faiss_Index_search(const FaissIndex *index, idx_t n, const float *x, idx_t k, float *distances,
                       idx_t *labels) {
  return guarded([&] { cpp(index)->search(n, x, k, distances, labels); });
}

void faiss_Index_free(FaissIndex *obj) { delete cpp(obj); }

int faiss_Index_range_search(const FaissIndex *index, idx_t n, const float *x, float radius,
                             FaissRangeSearchResult *result) {
  return guarded([&] { cpp(index)->range_search(n, x, radius, rsr(result)); });
}

int faiss_RangeSearchResult_new(FaissRangeSearchResult **p_rsr, idx_t nq) {
  return guarded([&] {
    *p_rsr = reinterpret_cast<FaissRangeSearchResult *>(new faiss::RangeSearchResult(nq));
  });
}

void faiss_RangeSearchResult_lims(FaissRangeSearchResult *result, size_t **lims) {
  *lims = rsr(result)->lims;
}

void faiss_RangeSearchResult_labels(FaissRangeSearchResult *result, idx_t **labels,
                                    float **distances) {
  *labels = rsr(result)->labels;
  *distances = rsr(result)->distances;
}

void faiss_RangeSearchResult_free(FaissRangeSearchResult *obj) { delete rsr(obj); }

} /* extern "C" */
