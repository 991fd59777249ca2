/* The grader's <stdatomic.h> for implementations (see labs/common/perturb.c).
 *
 * The system header first; then each generic atomic operation is defined
 * again, the same operation through the same GCC builtin; its operands are
 * evaluated first and lab_perturb_point() is called between them and the
 * operation itself. A read-modify-write split into
 * atomic_load() and atomic_store() then has a place between the two where
 * another thread can get in, as it does on a real machine now and then. Only
 * implementations are built with this folder first on the include path, and
 * only for the torture driver: ThreadSanitizer and bench builds see the
 * system header alone. */
#ifndef LOCKLAB_PERTURB_STDATOMIC_H
#define LOCKLAB_PERTURB_STDATOMIC_H

#include_next <stdatomic.h>

void lab_perturb_point(void);

#undef atomic_store_explicit
#undef atomic_store
#undef atomic_load_explicit
#undef atomic_load
#undef atomic_exchange_explicit
#undef atomic_exchange
#undef atomic_compare_exchange_strong_explicit
#undef atomic_compare_exchange_strong
#undef atomic_compare_exchange_weak_explicit
#undef atomic_compare_exchange_weak
#undef atomic_fetch_add
#undef atomic_fetch_add_explicit
#undef atomic_fetch_sub
#undef atomic_fetch_sub_explicit
#undef atomic_fetch_or
#undef atomic_fetch_or_explicit
#undef atomic_fetch_xor
#undef atomic_fetch_xor_explicit
#undef atomic_fetch_and
#undef atomic_fetch_and_explicit

#define atomic_store_explicit(PTR, VAL, MO)                                    \
    __extension__({                                                            \
        __auto_type lab_sp_ = (PTR);                                           \
        __typeof__((void)0, *lab_sp_) lab_sv_ = (VAL);                         \
        lab_perturb_point();                                                   \
        __atomic_store(lab_sp_, &lab_sv_, (MO));                               \
    })
#define atomic_store(PTR, VAL) atomic_store_explicit(PTR, VAL, __ATOMIC_SEQ_CST)

#define atomic_load_explicit(PTR, MO)                                          \
    __extension__({                                                            \
        lab_perturb_point();                                                   \
        __auto_type lab_lp_ = (PTR);                                           \
        __typeof__((void)0, *lab_lp_) lab_lv_;                                 \
        __atomic_load(lab_lp_, &lab_lv_, (MO));                                \
        lab_lv_;                                                               \
    })
#define atomic_load(PTR) atomic_load_explicit(PTR, __ATOMIC_SEQ_CST)

#define atomic_exchange_explicit(PTR, VAL, MO)                                 \
    __extension__({                                                            \
        __auto_type lab_xp_ = (PTR);                                           \
        __typeof__((void)0, *lab_xp_) lab_xv_ = (VAL), lab_xr_;                \
        lab_perturb_point();                                                   \
        __atomic_exchange(lab_xp_, &lab_xv_, &lab_xr_, (MO));                  \
        lab_xr_;                                                               \
    })
#define atomic_exchange(PTR, VAL) atomic_exchange_explicit(PTR, VAL, __ATOMIC_SEQ_CST)

#define lab_cmpxchg_(PTR, VAL, DES, WEAK, SUC, FAIL)                           \
    __extension__({                                                            \
        __auto_type lab_cp_ = (PTR);                                           \
        __typeof__((void)0, *lab_cp_) lab_cd_ = (DES);                         \
        lab_perturb_point();                                                   \
        __atomic_compare_exchange(lab_cp_, (VAL), &lab_cd_, WEAK, (SUC), (FAIL)); \
    })
#define atomic_compare_exchange_strong_explicit(PTR, VAL, DES, SUC, FAIL)      \
    lab_cmpxchg_(PTR, VAL, DES, 0, SUC, FAIL)
#define atomic_compare_exchange_strong(PTR, VAL, DES)                          \
    lab_cmpxchg_(PTR, VAL, DES, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#define atomic_compare_exchange_weak_explicit(PTR, VAL, DES, SUC, FAIL)        \
    lab_cmpxchg_(PTR, VAL, DES, 1, SUC, FAIL)
#define atomic_compare_exchange_weak(PTR, VAL, DES)                            \
    lab_cmpxchg_(PTR, VAL, DES, 1, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)

#define lab_fetch_(OP, PTR, VAL, MO)                                           \
    __extension__({                                                            \
        __auto_type lab_fp_ = (PTR);                                           \
        __auto_type lab_fv_ = (VAL);                                           \
        lab_perturb_point();                                                   \
        OP(lab_fp_, lab_fv_, (MO));                                            \
    })
#define atomic_fetch_add_explicit(PTR, VAL, MO) lab_fetch_(__atomic_fetch_add, PTR, VAL, MO)
#define atomic_fetch_add(PTR, VAL) lab_fetch_(__atomic_fetch_add, PTR, VAL, __ATOMIC_SEQ_CST)
#define atomic_fetch_sub_explicit(PTR, VAL, MO) lab_fetch_(__atomic_fetch_sub, PTR, VAL, MO)
#define atomic_fetch_sub(PTR, VAL) lab_fetch_(__atomic_fetch_sub, PTR, VAL, __ATOMIC_SEQ_CST)
#define atomic_fetch_or_explicit(PTR, VAL, MO) lab_fetch_(__atomic_fetch_or, PTR, VAL, MO)
#define atomic_fetch_or(PTR, VAL) lab_fetch_(__atomic_fetch_or, PTR, VAL, __ATOMIC_SEQ_CST)
#define atomic_fetch_xor_explicit(PTR, VAL, MO) lab_fetch_(__atomic_fetch_xor, PTR, VAL, MO)
#define atomic_fetch_xor(PTR, VAL) lab_fetch_(__atomic_fetch_xor, PTR, VAL, __ATOMIC_SEQ_CST)
#define atomic_fetch_and_explicit(PTR, VAL, MO) lab_fetch_(__atomic_fetch_and, PTR, VAL, MO)
#define atomic_fetch_and(PTR, VAL) lab_fetch_(__atomic_fetch_and, PTR, VAL, __ATOMIC_SEQ_CST)

#endif
