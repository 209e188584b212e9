//! Translation of validated function bodies into the interpreter's code.
//!
//! One pass over the operators. The translator tracks the operand stack height
//! (the validator has already proved the body well typed, so heights are a
//! simple count) to resolve every branch into a target, the height its values
//! go to and how many there are. Unreachable code is not translated.

use crate::code::{BranchTarget, FuncCode, Op};
use skiff_vm::module::Module;
use skiff_vm::validate::FuncInfo;
use skiff_vm::{Error, ErrorKind};
use wasmparser::{BlockType, Operator};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Func,
    Block,
    Loop,
    If,
    Else,
}

/// A forward branch waiting for its label's end.
#[derive(Debug, Clone, Copy)]
enum Patch {
    /// The op at this index.
    Op(usize),
    /// The branch table entry at this index.
    Table(usize),
}

#[derive(Debug)]
struct Ctrl {
    kind: Kind,
    /// Frame-relative height below the block's parameters.
    height: u32,
    params: u32,
    results: u32,
    /// For loops: the instruction index of the loop's start.
    loop_start: u32,
    patches: Vec<Patch>,
    /// For `if`: the `JumpIfZero` to point at the `else` or the end.
    else_jump: Option<usize>,
}

impl Ctrl {
    fn label_arity(&self) -> u32 {
        if self.kind == Kind::Loop {
            self.params
        } else {
            self.results
        }
    }
}

/// Translates defined function `index` of `module`.
pub fn translate(module: &Module, info: &FuncInfo, index: u32) -> Result<FuncCode, Error> {
    let body = module.body(index).expect("a defined function");
    let ty = module.func_type(index);
    let mut t = Translator {
        module,
        code: FuncCode {
            ops: Vec::with_capacity(body.operators.len() / 2),
            branch_tables: Vec::new(),
            params: ty.params().len() as u32,
            locals: info.num_locals,
            max_stack: info.max_stack,
            results: ty.results().len() as u32,
            offsets: Vec::with_capacity(body.operators.len() / 2),
        },
        ctrls: Vec::with_capacity(info.max_depth as usize),
        height: info.num_locals,
        unreachable: false,
        dead_depth: 0,
        pos: 0,
    };
    t.ctrls.push(Ctrl {
        kind: Kind::Func,
        height: info.num_locals,
        params: 0,
        results: ty.results().len() as u32,
        loop_start: 0,
        patches: Vec::new(),
        else_jump: None,
    });
    let mut ops = module.operators_reader(body);
    while !ops.eof() {
        t.pos = ops.original_position() as u32;
        let op = ops.read().map_err(Error::from)?;
        t.op(op)?;
    }
    Ok(t.code)
}

struct Translator<'m> {
    module: &'m Module,
    code: FuncCode,
    ctrls: Vec<Ctrl>,
    height: u32,
    unreachable: bool,
    /// Blocks opened inside unreachable code, not yet closed.
    dead_depth: u32,
    pos: u32,
}

fn unsupported(what: &str) -> Error {
    Error::without_offset(
        ErrorKind::Unsupported,
        format!("the interpreter does not run {what} yet"),
    )
}

impl Translator<'_> {
    fn emit(&mut self, op: Op) {
        self.code.ops.push(op);
        self.code.offsets.push(self.pos);
    }

    fn pc(&self) -> u32 {
        self.code.ops.len() as u32
    }

    fn arity(&self, bt: BlockType) -> (u32, u32) {
        match bt {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (0, 1),
            BlockType::FuncType(i) => {
                let ty = &self.module.types[i as usize];
                (ty.params().len() as u32, ty.results().len() as u32)
            }
        }
    }

    fn push_ctrl(&mut self, kind: Kind, bt: BlockType, else_jump: Option<usize>) {
        let (params, results) = self.arity(bt);
        self.ctrls.push(Ctrl {
            kind,
            height: self.height - params,
            params,
            results,
            loop_start: self.pc(),
            patches: Vec::new(),
            else_jump,
        });
    }

    /// The branch to the label `depth` levels out, its target patched later when forward.
    fn branch_to(&mut self, depth: u32) -> (BranchTarget, Option<usize>) {
        let ctrl = &self.ctrls[self.ctrls.len() - 1 - depth as usize];
        let to = BranchTarget {
            target: if ctrl.kind == Kind::Loop {
                ctrl.loop_start
            } else {
                u32::MAX
            },
            height: ctrl.height,
            keep: ctrl.label_arity(),
        };
        let forward = ctrl.kind != Kind::Loop;
        (to, forward.then_some(self.ctrls.len() - 1 - depth as usize))
    }

    fn patch(&mut self, p: Patch, target: u32) {
        match p {
            Patch::Op(i) => match &mut self.code.ops[i] {
                Op::Jump { target: t } | Op::JumpIfZero { target: t } => *t = target,
                Op::Br { to } | Op::BrIf { to } => to.target = target,
                other => unreachable!("patching {other:?}"),
            },
            Patch::Table(i) => self.code.branch_tables[i].target = target,
        }
    }

    fn end_block(&mut self) {
        let ctrl = self.ctrls.pop().expect("validated nesting");
        let end = self.pc();
        if let Some(j) = ctrl.else_jump {
            self.patch(Patch::Op(j), end);
        }
        for p in ctrl.patches {
            self.patch(p, end);
        }
        self.height = ctrl.height + ctrl.results;
        self.unreachable = false;
        if ctrl.kind == Kind::Func {
            self.emit(Op::Return);
        }
    }

    fn op(&mut self, op: Operator<'_>) -> Result<(), Error> {
        use Operator as O;
        if self.unreachable {
            match op {
                O::Block { .. } | O::Loop { .. } | O::If { .. } => self.dead_depth += 1,
                O::Else if self.dead_depth == 0 => self.else_(),
                O::End if self.dead_depth > 0 => self.dead_depth -= 1,
                O::End => self.end_block(),
                _ => {}
            }
            return Ok(());
        }
        macro_rules! simple {
            ($delta:expr, $op:expr) => {{
                self.emit($op);
                self.height = (self.height as i64 + $delta) as u32;
            }};
        }
        match op {
            O::Unreachable => {
                self.emit(Op::Unreachable);
                self.unreachable = true;
            }
            O::Nop => {}
            O::Block { blockty } => self.push_ctrl(Kind::Block, blockty, None),
            O::Loop { blockty } => self.push_ctrl(Kind::Loop, blockty, None),
            O::If { blockty } => {
                self.height -= 1;
                let j = self.code.ops.len();
                self.emit(Op::JumpIfZero { target: u32::MAX });
                self.push_ctrl(Kind::If, blockty, Some(j));
            }
            O::Else => self.else_(),
            O::End => self.end_block(),
            O::Br { relative_depth } => {
                self.br(relative_depth, false);
                self.unreachable = true;
            }
            O::BrIf { relative_depth } => {
                self.height -= 1;
                self.br(relative_depth, true);
            }
            O::BrTable { targets } => {
                self.height -= 1;
                let start = self.code.branch_tables.len() as u32;
                let mut depths: Vec<u32> = targets
                    .targets()
                    .collect::<Result<_, _>>()
                    .map_err(Error::from)?;
                depths.push(targets.default());
                for depth in &depths {
                    let (to, forward) = self.branch_to(*depth);
                    let entry = self.code.branch_tables.len();
                    self.code.branch_tables.push(to);
                    // A branch to the function's own label lands on the
                    // `Return` its end emits.
                    if let Some(c) = forward {
                        self.ctrls[c].patches.push(Patch::Table(entry));
                    }
                }
                self.emit(Op::BrTable {
                    start,
                    len: depths.len() as u32,
                });
                self.unreachable = true;
            }
            O::Return => {
                self.emit(Op::Return);
                self.unreachable = true;
            }
            O::Call { function_index } => {
                let ty = self.module.func_type(function_index);
                let delta = ty.results().len() as i64 - ty.params().len() as i64;
                simple!(
                    delta,
                    Op::Call {
                        func: function_index
                    }
                )
            }
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let ty = &self.module.types[type_index as usize];
                let delta = ty.results().len() as i64 - ty.params().len() as i64 - 1;
                simple!(
                    delta,
                    Op::CallIndirect {
                        ty: type_index,
                        table: table_index
                    }
                )
            }
            O::Drop => simple!(-1, Op::Drop),
            O::Select | O::TypedSelect { .. } => simple!(-2, Op::Select),
            O::TypedSelectMulti { .. } => simple!(-2, Op::Select),
            O::LocalGet { local_index } => simple!(1, Op::LocalGet { index: local_index }),
            O::LocalSet { local_index } => simple!(-1, Op::LocalSet { index: local_index }),
            O::LocalTee { local_index } => simple!(0, Op::LocalTee { index: local_index }),
            O::GlobalGet { global_index } => {
                if self.module.globals[global_index as usize].content
                    == skiff_vm::types::ValType::V128
                {
                    return Err(unsupported("SIMD"));
                }
                simple!(
                    1,
                    Op::GlobalGet {
                        index: global_index
                    }
                )
            }
            O::GlobalSet { global_index } => simple!(
                -1,
                Op::GlobalSet {
                    index: global_index
                }
            ),
            O::I32Const { value } => simple!(
                1,
                Op::Const {
                    bits: value as u32 as u64
                }
            ),
            O::I64Const { value } => simple!(1, Op::Const { bits: value as u64 }),
            O::F32Const { value } => simple!(
                1,
                Op::Const {
                    bits: value.bits() as u64
                }
            ),
            O::F64Const { value } => simple!(1, Op::Const { bits: value.bits() }),
            O::RefNull { .. } => simple!(1, Op::Const { bits: 0 }),
            O::RefIsNull => simple!(0, Op::RefIsNull),
            O::RefFunc { function_index } => simple!(
                1,
                Op::RefFunc {
                    func: function_index
                }
            ),
            O::MemorySize { .. } => simple!(1, Op::MemorySize),
            O::MemoryGrow { .. } => simple!(0, Op::MemoryGrow),
            O::MemoryInit { data_index, .. } => simple!(-3, Op::MemoryInit { data: data_index }),
            O::DataDrop { data_index } => simple!(0, Op::DataDrop { data: data_index }),
            O::MemoryCopy { .. } => simple!(-3, Op::MemoryCopy),
            O::MemoryFill { .. } => simple!(-3, Op::MemoryFill),
            O::TableInit { elem_index, table } => simple!(
                -3,
                Op::TableInit {
                    elem: elem_index,
                    table
                }
            ),
            O::ElemDrop { elem_index } => simple!(0, Op::ElemDrop { elem: elem_index }),
            O::TableCopy {
                dst_table,
                src_table,
            } => simple!(
                -3,
                Op::TableCopy {
                    dst: dst_table,
                    src: src_table
                }
            ),
            O::TableGet { table } => simple!(0, Op::TableGet { table }),
            O::TableSet { table } => simple!(-2, Op::TableSet { table }),
            O::TableSize { table } => simple!(1, Op::TableSize { table }),
            O::TableGrow { table } => simple!(-1, Op::TableGrow { table }),
            O::TableFill { table } => simple!(-3, Op::TableFill { table }),
            op => {
                if let Some((op, delta)) = memory_op(&op) {
                    simple!(delta, op)
                } else if let Some((op, delta)) = numeric_op(&op) {
                    simple!(delta, op)
                } else {
                    return Err(unsupported(&format!("{op:?} (SIMD)")));
                }
            }
        }
        Ok(())
    }

    fn else_(&mut self) {
        let ctrl = self.ctrls.last_mut().expect("validated nesting");
        let reachable = !self.unreachable;
        let else_jump = ctrl.else_jump.take();
        ctrl.kind = Kind::Else;
        let height = ctrl.height + ctrl.params;
        if reachable {
            let j = self.code.ops.len();
            self.emit(Op::Jump { target: u32::MAX });
            self.ctrls
                .last_mut()
                .expect("validated nesting")
                .patches
                .push(Patch::Op(j));
        }
        if let Some(j) = else_jump {
            let here = self.pc();
            self.patch(Patch::Op(j), here);
        }
        self.height = height;
        self.unreachable = false;
    }

    fn br(&mut self, depth: u32, conditional: bool) {
        let (to, forward) = self.branch_to(depth);
        if let Some(c) = forward
            && self.ctrls[c].kind == Kind::Func
            && !conditional
        {
            self.emit(Op::Return);
            return;
        }
        let plain = self.height - to.keep == to.height;
        let op = match (conditional, plain) {
            (false, true) => Op::Jump { target: to.target },
            (false, false) => Op::Br { to },
            (true, _) => Op::BrIf { to },
        };
        let j = self.code.ops.len();
        self.emit(op);
        if let Some(c) = forward {
            self.ctrls[c].patches.push(Patch::Op(j));
        }
    }
}

/// Loads and stores: the op and its stack effect.
fn memory_op(op: &Operator<'_>) -> Option<(Op, i64)> {
    use Operator as O;
    macro_rules! mem {
        ($($name:ident: $delta:expr),* $(,)?) => {
            match op {
                $(O::$name { memarg } => Some((Op::$name { offset: memarg.offset as u32 }, $delta)),)*
                _ => None,
            }
        };
    }
    mem! {
        I32Load: 0, I64Load: 0, F32Load: 0, F64Load: 0,
        I32Load8S: 0, I32Load8U: 0, I32Load16S: 0, I32Load16U: 0,
        I64Load8S: 0, I64Load8U: 0, I64Load16S: 0, I64Load16U: 0, I64Load32S: 0, I64Load32U: 0,
        I32Store: -2, I64Store: -2, F32Store: -2, F64Store: -2,
        I32Store8: -2, I32Store16: -2, I64Store8: -2, I64Store16: -2, I64Store32: -2,
    }
}

/// Numeric instructions: the op of the same name and its stack effect.
fn numeric_op(op: &Operator<'_>) -> Option<(Op, i64)> {
    use Operator as O;
    macro_rules! num {
        ($($delta:literal: [$($name:ident),* $(,)?]),* $(,)?) => {
            match op {
                $($(O::$name => Some((Op::$name, $delta)),)*)*
                _ => None,
            }
        };
    }
    num! {
        0: [
            I32Eqz, I64Eqz, I32Clz, I32Ctz, I32Popcnt, I64Clz, I64Ctz, I64Popcnt,
            F32Abs, F32Neg, F32Ceil, F32Floor, F32Trunc, F32Nearest, F32Sqrt,
            F64Abs, F64Neg, F64Ceil, F64Floor, F64Trunc, F64Nearest, F64Sqrt,
            I32WrapI64, I32TruncF32S, I32TruncF32U, I32TruncF64S, I32TruncF64U,
            I64ExtendI32S, I64ExtendI32U, I64TruncF32S, I64TruncF32U, I64TruncF64S, I64TruncF64U,
            F32ConvertI32S, F32ConvertI32U, F32ConvertI64S, F32ConvertI64U, F32DemoteF64,
            F64ConvertI32S, F64ConvertI32U, F64ConvertI64S, F64ConvertI64U, F64PromoteF32,
            I32Extend8S, I32Extend16S, I64Extend8S, I64Extend16S, I64Extend32S,
            I32TruncSatF32S, I32TruncSatF32U, I32TruncSatF64S, I32TruncSatF64U,
            I64TruncSatF32S, I64TruncSatF32U, I64TruncSatF64S, I64TruncSatF64U,
        ],
        -1: [
            I32Eq, I32Ne, I32LtS, I32LtU, I32GtS, I32GtU, I32LeS, I32LeU, I32GeS, I32GeU,
            I64Eq, I64Ne, I64LtS, I64LtU, I64GtS, I64GtU, I64LeS, I64LeU, I64GeS, I64GeU,
            F32Eq, F32Ne, F32Lt, F32Gt, F32Le, F32Ge, F64Eq, F64Ne, F64Lt, F64Gt, F64Le, F64Ge,
            I32Add, I32Sub, I32Mul, I32DivS, I32DivU, I32RemS, I32RemU,
            I32And, I32Or, I32Xor, I32Shl, I32ShrS, I32ShrU, I32Rotl, I32Rotr,
            I64Add, I64Sub, I64Mul, I64DivS, I64DivU, I64RemS, I64RemU,
            I64And, I64Or, I64Xor, I64Shl, I64ShrS, I64ShrU, I64Rotl, I64Rotr,
            F32Add, F32Sub, F32Mul, F32Div, F32Min, F32Max, F32Copysign,
            F64Add, F64Sub, F64Mul, F64Div, F64Min, F64Max, F64Copysign,
        ],
    }
}
