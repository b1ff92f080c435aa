//! Token sampling under a grammar, fast.
//!
//! A grammar sampler asked to filter the whole vocabulary walks every
//! token's text through the grammar's stacks: 150,000 tokens for Qwen, each
//! step, which on a JSON schema with bounded strings costs more than the
//! model's own forward pass. But the token the model wants is nearly always
//! one the grammar allows. So the token is drawn without the grammar first
//! and only checked against it; the whole vocabulary is filtered only when
//! that token is refused, and the draw made again from what is left (what
//! llama.cpp's own `common_sampler` does). The result is a draw from the
//! same distribution as filtering first.

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;

/// The sampling of one answer.
pub struct Sampler {
    grammar: Option<LlamaSampler>,
    /// Repetition penalty, then greedy or top-p, temperature and a seeded draw.
    chain: LlamaSampler,
}

/// The settings of one answer's sampling.
pub struct Draw<'a> {
    pub grammar: Option<&'a str>,
    pub temperature: f32,
    pub top_p: f32,
    pub seed: u32,
    /// Penalty on tokens repeated within the last 256 (1.0 = none).
    pub repeat_penalty: f32,
}

impl Sampler {
    /// Fails with the grammar's error when it does not parse.
    pub fn new(model: &LlamaModel, s: &Draw<'_>) -> Result<Sampler, String> {
        let grammar = match s.grammar {
            Some(g) => Some(LlamaSampler::grammar(model, g, "root").map_err(|e| e.to_string())?),
            None => None,
        };
        // Small models fall into loops inside long JSON answers; a mild
        // repetition penalty over the recent tokens keeps them moving on.
        let mut chain = vec![LlamaSampler::penalties(
            model.n_vocab(),
            256,
            s.repeat_penalty,
            0.0,
            0.0,
        )];
        if s.temperature <= 0.0 {
            chain.push(LlamaSampler::greedy());
        } else {
            chain.push(LlamaSampler::top_p(s.top_p.clamp(0.01, 1.0), 1));
            chain.push(LlamaSampler::temp(s.temperature));
            chain.push(LlamaSampler::dist(s.seed));
        }
        Ok(Sampler {
            grammar,
            chain: LlamaSampler::chain_simple(chain),
        })
    }

    /// Draws the next token from the `idx`-th logits of the last decode and
    /// accepts it, so that the grammar and the penalty see it.
    pub fn next(&mut self, ctx: &LlamaContext<'_>, idx: i32) -> LlamaToken {
        let mut candidates = ctx.token_data_array_ith(idx);
        self.chain.apply(&mut candidates);
        let mut token = candidates
            .selected_token()
            .expect("the chain ends in a draw");
        if let Some(grammar) = &mut self.grammar {
            if !allows(grammar, token) {
                let mut candidates = ctx.token_data_array_ith(idx);
                grammar.apply(&mut candidates);
                self.chain.apply(&mut candidates);
                token = candidates
                    .selected_token()
                    .expect("the chain ends in a draw");
            }
            grammar.accept(token);
        }
        self.chain.accept(token);
        token
    }
}

/// Whether the grammar, in its present state, allows `token` next.
fn allows(grammar: &mut LlamaSampler, token: LlamaToken) -> bool {
    let mut one = LlamaTokenDataArray::new(vec![LlamaTokenData::new(token, 0.0, 0.0)], false);
    grammar.apply(&mut one);
    one.data[0].logit().is_finite()
}
