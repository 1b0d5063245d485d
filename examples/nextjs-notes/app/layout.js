import { region } from "../lib/config.js";
import "./styles.css";

export const metadata = { title: "Notes", description: "A multi-region Next.js example" };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>
        <header>
          <a href="/">Notes</a>
          <span className="region">{`served by ${region()}`}</span>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
