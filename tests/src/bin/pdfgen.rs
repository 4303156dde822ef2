//! Writes a test PDF for benchmarks: `pdfgen --pages N [--page-bytes B] [--label L] OUT`.
//! Each page carries about B bytes of (uncompressed) content, so a file of a chosen size can
//! be made; the label makes files of the same shape differ (content-addressed storage would
//! otherwise store them once).

use clap::Parser;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long)]
    pages: usize,
    #[arg(long, default_value_t = 0)]
    page_bytes: usize,
    #[arg(long, default_value = "ecabinet")]
    label: String,
    out: std::path::PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bytes = ecabinet_tests::pdfs::sized(args.pages, args.page_bytes, &args.label);
    std::fs::write(&args.out, &bytes)?;
    println!(
        "{} pages, {} bytes: {}",
        args.pages,
        bytes.len(),
        args.out.display()
    );
    Ok(())
}
