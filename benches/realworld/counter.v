// A small design for the real-world run (benches/scripts/realworld.sh):
// an 8-bit up/down counter with synchronous reset, enable and parallel
// load, a terminal-count flag, and a 4-bit ALU on its low nibble, so that
// `synth` has registers, adders, muxes and comparisons to map.
module counter (
    input  wire       clk,
    input  wire       rst,
    input  wire       en,
    input  wire       load,
    input  wire       up,
    input  wire [7:0] d,
    input  wire [1:0] op,
    input  wire [3:0] b,
    output reg  [7:0] q,
    output wire       tc,
    output reg  [3:0] y,
    output wire       zero
);
    always @(posedge clk) begin
        if (rst)
            q <= 8'd0;
        else if (load)
            q <= d;
        else if (en)
            q <= up ? q + 8'd1 : q - 8'd1;
    end

    assign tc = up ? (q == 8'hff) : (q == 8'h00);

    always @(*) begin
        case (op)
            2'd0: y = q[3:0] + b;
            2'd1: y = q[3:0] - b;
            2'd2: y = q[3:0] & b;
            default: y = q[3:0] ^ b;
        endcase
    end

    assign zero = (y == 4'd0);
endmodule
